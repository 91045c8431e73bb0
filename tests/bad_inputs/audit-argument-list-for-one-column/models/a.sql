MODEL (name s.a, kind FULL, audits (at_least_one(column := (x, status))));
SELECT 1 AS x, 'new' AS status
