MODEL (name s.good, kind FULL);
SELECT 1 AS x
