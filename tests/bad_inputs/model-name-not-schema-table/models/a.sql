MODEL (name a, kind FULL);
SELECT 1 AS x
