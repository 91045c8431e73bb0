MODEL (
  name raw.future,
  kind INCREMENTAL_BY_TIME_RANGE (time_column day),
  cron '@monthly', start '2099-01-01',
);
SELECT DATE '2099-01-05' AS day, 1 AS amount
