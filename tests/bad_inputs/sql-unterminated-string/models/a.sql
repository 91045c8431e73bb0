MODEL (name s.a, kind FULL);
SELECT 'open AS x
