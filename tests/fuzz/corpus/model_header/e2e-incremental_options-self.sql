MODEL (name raw.self, kind INCREMENTAL_BY_TIME_RANGE (time_column month), end '2024-02-01');
SELECT @start_date AS month, (SELECT count(*) FROM @this_model) AS n
