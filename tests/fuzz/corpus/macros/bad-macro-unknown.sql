MODEL (name s.a, kind FULL);
SELECT @nope AS x
