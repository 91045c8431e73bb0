MODEL (name s.a, kind FULL, grain (x, , ds));
SELECT DATE '2024-01-01' AS ds, 1 AS x
