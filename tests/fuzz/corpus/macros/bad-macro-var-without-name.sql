MODEL (name s.a, kind FULL);
SELECT @VAR() AS x
