MODEL (name s.a, kind SCD_TYPE_2_BY_COLUMN (unique_key id, columns (*, x)));
SELECT 1 AS id, 2 AS x
