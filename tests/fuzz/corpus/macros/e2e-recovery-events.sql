MODEL (name raw.events, kind INCREMENTAL_BY_TIME_RANGE (time_column day), end '2024-03-01');
SELECT CAST(day AS DATE) AS day, amount FROM read_csv('data/*/*/*.csv', header = true)
WHERE CAST(day AS DATE) BETWEEN @start_ds AND @end_ds
