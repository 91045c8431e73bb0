MODEL (name s.a, kind INCREMENTAL_BY_UNIQUE_KEY (unique_key (id), when_matched (UPDATE SET x = 1)));
SELECT 1 AS id, 2 AS x
