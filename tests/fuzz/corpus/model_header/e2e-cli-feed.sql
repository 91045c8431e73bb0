MODEL (name raw.feed, kind FULL);
SELECT f.code, c.name, f.amount * @VAR('factor') AS amount, @gateway AS gateway
FROM read_csv(@VAR('landing_dir') || '/feed/*.csv', header = true) AS f
JOIN ref.countries AS c USING (code)
