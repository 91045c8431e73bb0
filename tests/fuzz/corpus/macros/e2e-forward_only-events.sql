MODEL (
  name core.events,
  kind INCREMENTAL_BY_TIME_RANGE (time_column day, forward_only true, batch_size 1),
  start '2024-01-01'
);
SELECT CAST(d AS DATE) AS day, 1 AS n
FROM range(DATE '2024-01-01', DATE '2024-01-11', INTERVAL 1 DAY) AS t(d)
WHERE d BETWEEN @start_ds AND @end_ds
