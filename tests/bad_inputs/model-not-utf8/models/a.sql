MODEL (name s.a, kind FULL);
SELECT 'café' AS name
