MODEL name s.a;
SELECT 1 AS x
