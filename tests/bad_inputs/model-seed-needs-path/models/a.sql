MODEL (name s.a, kind SEED);
