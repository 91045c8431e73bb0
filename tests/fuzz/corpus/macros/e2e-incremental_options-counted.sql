MODEL (
  name raw.counted,
  kind INCREMENTAL_BY_TIME_RANGE (time_column month, batch_size 1, lookback 1),
  end '2024-03-01',
  columns (month DATE, earlier INTEGER),
);
SELECT @start_date AS month,
       (SELECT count(*) FROM @this_model WHERE month < @start_date)::INTEGER AS earlier
