MODEL (name db.s.a, kind FULL);
SELECT 1 AS x
