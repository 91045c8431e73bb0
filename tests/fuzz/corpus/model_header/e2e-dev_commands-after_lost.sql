MODEL (name stg.after_lost, kind VIEW);
SELECT * FROM raw.lost
