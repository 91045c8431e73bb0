MODEL (name serving.totals, kind FULL);
SELECT status, sum(price) AS total FROM raw.orders GROUP BY status
