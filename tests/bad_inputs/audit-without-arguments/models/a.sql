MODEL (name s.a, kind FULL, audits (not_null));
SELECT 1 AS x, 'new' AS status
