MODEL (name s.a, kind FULL, enabled maybe);
SELECT 1 AS x
