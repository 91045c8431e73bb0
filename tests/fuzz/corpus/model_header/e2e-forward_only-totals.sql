MODEL (name core.totals, kind FULL);
SELECT count(*) AS days, sum(n) AS total FROM core.events
