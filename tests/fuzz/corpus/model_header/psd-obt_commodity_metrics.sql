-- One big table for dashboards: names instead of codes, the main measures,
-- stocks-to-use and the change in production from the previous market year.
MODEL (
  name serving.obt_commodity_metrics,
  kind FULL,
  description 'Commodity metrics per country and market year with names, stocks-to-use and year-over-year production change',
  grain (commodity_code, country_code, market_year),
  tags (serving, dashboard),
  owner commodity_analytics,
  column_descriptions (
    stocks_to_use = 'Ending stocks / (domestic consumption + exports); NULL when there is no use',
    production_change = 'Production minus the previous market year''s; NULL for the first year of a series',
    production_change_pct = 'Production change as a fraction of the previous year''s production'
  )
);

WITH facts AS (
  SELECT
    f.*,
    lag(f.market_year) OVER (
      PARTITION BY f.commodity_code, f.country_code ORDER BY f.market_year
    ) AS previous_market_year,
    lag(f.production) OVER (
      PARTITION BY f.commodity_code, f.country_code ORDER BY f.market_year
    ) AS previous_production
  FROM serving.fct_supply_demand AS f
)
SELECT
  facts.commodity_code,
  commodity.commodity_description AS commodity,
  commodity.commodity_family,
  facts.country_code,
  country.country_name AS country,
  facts.market_year,
  facts.production,
  facts.domestic_consumption AS consumption,
  facts.imports,
  facts.exports,
  facts.ending_stocks,
  facts.stocks_to_use,
  CASE WHEN facts.previous_market_year = facts.market_year - 1
       THEN facts.production - facts.previous_production END AS production_change,
  CASE WHEN facts.previous_market_year = facts.market_year - 1
       THEN (facts.production - facts.previous_production) / nullif(facts.previous_production, 0)
  END AS production_change_pct,
  facts.production_unit AS unit,
  facts.ingest_date
FROM facts
JOIN serving.dim_commodity AS commodity ON commodity.commodity_code = facts.commodity_code
JOIN serving.dim_country AS country ON country.country_code = facts.country_code
