MODEL (
  name core.customers,
  kind INCREMENTAL_BY_UNIQUE_KEY (
    unique_key (id),
    when_matched (WHEN MATCHED THEN UPDATE SET name = source.name),
    merge_filter (target.tier <> 'paid'),
    batch_size 1
  ),
  cron '@daily',
  start '2024-01-01',
  end '2024-01-03'
);
SELECT id, name, tier FROM read_csv('data/updates.csv', header = true)
WHERE CAST(updated_at AS DATE) BETWEEN @start_ds AND @end_ds
