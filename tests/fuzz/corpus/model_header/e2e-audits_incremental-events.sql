MODEL (
  name raw.events,
  kind INCREMENTAL_BY_TIME_RANGE (time_column day, batch_size 1),
  cron '@monthly',
  start '2024-01-01',
  end '2024-04-01',
  audits (not_null(columns := (amount)), number_of_rows(threshold := 1))
);
SELECT CAST(day AS DATE) AS day, amount
FROM read_csv('data/*/*/*.csv', header = true)
WHERE CAST(day AS DATE) BETWEEN @start_ds AND @end_ds
