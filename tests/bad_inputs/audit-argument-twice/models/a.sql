MODEL (name s.a, kind FULL, audits (not_null(columns := (x), columns := (status))));
SELECT 1 AS x, 'new' AS status
