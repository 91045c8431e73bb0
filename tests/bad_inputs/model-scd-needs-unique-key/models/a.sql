MODEL (name s.a, kind SCD_TYPE_2_BY_TIME);
SELECT 1 AS id
