MODEL (name s.a, kind INCREMENTAL_BY_TIME_RANGE (time_column ds, lookback two));
SELECT DATE '2024-01-01' AS ds, 1 AS x
