MODEL (name s.a, kind FULL);

SELECT x
FORM t
