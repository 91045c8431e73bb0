MODEL (name s.a, kind FULL, audits (accepted_values(column := status)));
SELECT 1 AS x, 'new' AS status
