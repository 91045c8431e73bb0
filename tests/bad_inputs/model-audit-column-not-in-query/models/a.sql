MODEL (name s.a, kind FULL, audits (not_null(columns := (id, nme))));
SELECT 1 AS id, 'x' AS name
