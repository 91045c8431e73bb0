MODEL (name serving.report, kind VIEW, tags (daily));
SELECT ds, amount FROM stg.daily
