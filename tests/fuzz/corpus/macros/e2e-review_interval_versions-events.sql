MODEL (
  name raw.events,
  kind INCREMENTAL_BY_TIME_RANGE (time_column day, batch_size 2),
  cron '@monthly',
  start '2024-01-01',
  end '2024-05-01',
);
SELECT CAST(e.day AS DATE) AS day, e.amount * f.factor AS amount
FROM read_csv('data/*/*/*.csv', header = true) AS e
CROSS JOIN read_csv('lookup/*.csv', header = true) AS f
WHERE CAST(e.day AS DATE) BETWEEN @start_ds AND @end_ds
