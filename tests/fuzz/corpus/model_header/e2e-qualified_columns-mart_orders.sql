MODEL (name mart.orders, kind VIEW);
SELECT raw.orders.id, raw.orders.amount, stg.orders.status
FROM raw.orders JOIN stg.orders ON raw.orders.id = stg.orders.id
