MODEL (name serving.total, kind FULL);
SELECT sum(amount) AS total FROM raw.events
