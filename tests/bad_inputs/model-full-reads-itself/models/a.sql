MODEL (name s.a, kind FULL);
SELECT count(*) AS n FROM s.a
