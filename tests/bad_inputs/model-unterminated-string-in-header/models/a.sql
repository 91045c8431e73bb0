MODEL (name s.a, kind FULL, owner 'ann);
SELECT 1 AS x
