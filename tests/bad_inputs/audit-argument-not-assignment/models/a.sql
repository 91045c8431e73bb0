MODEL (name s.a, kind FULL, audits (not_null(columns (x))));
SELECT 1 AS x, 'new' AS status
