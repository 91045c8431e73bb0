MODEL (name raw.orders, kind FULL);
SELECT 1 AS id, 10 AS amount UNION ALL SELECT 2, 20
