MODEL (name s.a, kind FUL);
SELECT 1 AS x
