MODEL (name s.per_item, kind FULL);
WITH recent AS (
  SELECT * FROM s.orders WHERE ds BETWEEN @start_date AND @end_date
)
SELECT i.name, count(*) AS orders, max(o.ds) AS last_ds
FROM recent AS o JOIN s.items AS i USING (item_id)
GROUP BY i.name
