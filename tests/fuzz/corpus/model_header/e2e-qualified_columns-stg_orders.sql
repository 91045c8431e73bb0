MODEL (name stg.orders, kind FULL);
SELECT raw.orders.id, 'ok' AS status FROM raw.orders WHERE raw.orders.amount > 15
