MODEL (name serving.as_of, kind FULL, cron '* * * * *');
SELECT @end_ts AS as_of
