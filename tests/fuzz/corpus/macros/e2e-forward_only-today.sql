MODEL (
  name core.today,
  kind INCREMENTAL_BY_TIME_RANGE (time_column ts),
  cron '@daily',
  start '1 day ago',
  allow_partials true
);
SELECT CAST(@end_ts AS TIMESTAMP) AS ts, 1 AS runs
