MODEL (name raw.lost, kind FULL);
SELECT * FROM read_csv('data/missing/*.csv')
