MODEL (name s.a, kind FULL);
SELECT @VAR('a', 1, 2) AS x
