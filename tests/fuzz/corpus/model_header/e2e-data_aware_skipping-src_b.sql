MODEL (name raw.src_b, kind FULL);
SELECT id, w FROM read_csv('data/b/*.csv', header = true)
