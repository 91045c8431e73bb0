MODEL (name s.a, kind INCREMENTAL_BY_TIME_RANGE (time_column ds), cron '61 * * * *');
SELECT DATE '2024-01-01' AS ds, 1 AS x
