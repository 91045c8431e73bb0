MODEL (name s.b, kind FULL);
SELECT id + 1 AS id, 'dev' AS note FROM s.a
