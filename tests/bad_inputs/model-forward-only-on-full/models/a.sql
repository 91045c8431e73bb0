MODEL (name s.a, kind FULL, forward_only true);
SELECT 1 AS x
