MODEL (name s.a, kind FULL, tags (daily));
SELECT 1 AS x
