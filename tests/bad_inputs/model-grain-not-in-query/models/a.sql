MODEL (name s.a, kind FULL, grain (id, dayz));
SELECT 1 AS id, 'x' AS name, current_date AS day
