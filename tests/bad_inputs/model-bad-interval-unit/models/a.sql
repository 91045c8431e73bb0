MODEL (name s.a, kind FULL, interval_unit fortnight);
SELECT 1 AS x
