MODEL (name s.a, kind EMBEDDED);
SELECT 1 AS x
