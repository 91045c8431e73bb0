MODEL (name serving.a_summary, kind FULL, grain id);
SELECT id, v * 2 AS doubled, v * 3 AS tripled FROM raw.src_a WHERE v > 10
