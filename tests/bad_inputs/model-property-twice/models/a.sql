MODEL (name s.a, kind FULL, name s.b);
SELECT 1 AS x
