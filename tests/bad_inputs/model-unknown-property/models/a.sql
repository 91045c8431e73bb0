MODEL (name s.a, kind FULL, nmae x);
SELECT 1 AS x
