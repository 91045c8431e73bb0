MODEL (
  name staging.events_copy,
  kind INCREMENTAL_BY_TIME_RANGE (time_column day, batch_size 1),
  cron '@monthly', start '2024-01-01', end '$1',
);
SELECT * FROM raw.events WHERE day BETWEEN @start_ds AND @end_ds
