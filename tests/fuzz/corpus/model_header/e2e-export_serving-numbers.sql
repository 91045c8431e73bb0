MODEL (name raw.numbers, kind FULL);
SELECT n FROM read_csv('data/numbers.csv')
