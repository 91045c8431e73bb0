MODEL (name s.quick, kind FULL);
SELECT 1 AS x
