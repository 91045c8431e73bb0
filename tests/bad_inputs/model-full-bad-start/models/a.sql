MODEL (name s.a, kind FULL, start 'yesterdayish');
SELECT 1 AS x
