MODEL (name stg.bad, kind FULL);
SELECT ds,
  amount * rate AS converted
FROM raw.events
