MODEL (name s.b, kind FULL);
SELECT x + 1 AS y FROM s.a
