MODEL (name raw.src_a, kind FULL, tags [heavy]);
SELECT id, v FROM read_csv('data/a/*.csv', header = true)
