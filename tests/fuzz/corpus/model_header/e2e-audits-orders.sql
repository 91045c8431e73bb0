MODEL (name raw.orders, kind FULL, audits ($1));
SELECT id, status, price FROM read_csv('data/orders.csv', header = true)
