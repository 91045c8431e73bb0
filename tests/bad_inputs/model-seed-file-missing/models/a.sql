MODEL (name s.a, kind SEED (path '../seeds/missing.csv'));
