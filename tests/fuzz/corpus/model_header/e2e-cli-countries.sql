MODEL (name ref.countries, kind SEED (path '../seeds/countries.csv'), grain code);
