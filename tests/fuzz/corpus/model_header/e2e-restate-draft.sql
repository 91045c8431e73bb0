MODEL (name serving.draft, kind FULL, enabled false);
SELECT * FROM raw.events
