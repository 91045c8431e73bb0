MODEL (name s.a, kind FULL);
DELETE FROM t WHERE x = 1
