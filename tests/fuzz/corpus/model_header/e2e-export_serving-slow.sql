MODEL (name raw.slow, kind FULL);
SELECT sum(a.range * b.range) AS total FROM range(60000) a, range(20000) b
