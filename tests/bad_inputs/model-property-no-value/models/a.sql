MODEL (name s.a, kind FULL, owner);
SELECT 1 AS x
