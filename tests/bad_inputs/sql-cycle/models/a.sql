MODEL (name s.a, kind FULL);
SELECT * FROM s.b
