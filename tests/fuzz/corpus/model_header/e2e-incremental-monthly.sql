MODEL (name serving.monthly, kind FULL);
SELECT date_trunc('month', day) AS month, sum(amount) AS total FROM raw.events GROUP BY 1
