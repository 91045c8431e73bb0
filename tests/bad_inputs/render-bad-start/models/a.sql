MODEL (name s.a, kind INCREMENTAL_BY_TIME_RANGE(time_column d));
SELECT current_date AS d
