MODEL (name staging.filtered, kind FULL);
SELECT id, v, v * 2 AS doubled FROM raw.src;
DELETE FROM @this_model WHERE v > 15;
