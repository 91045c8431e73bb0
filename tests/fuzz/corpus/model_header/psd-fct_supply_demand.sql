-- The supply and demand measures of each balance sheet, keyed by the dimensions,
-- with stocks-to-use: ending stocks over a year's use (consumption plus exports).
MODEL (
  name serving.fct_supply_demand,
  kind FULL,
  description 'Supply and demand measures per commodity, country and market year, with stocks-to-use',
  grain (commodity_code, country_code, market_year),
  tags (serving, fact),
  owner commodity_analytics,
  audits (
    not_null(columns := (commodity_code, country_code, market_year)),
    accepted_range(column := stocks_to_use, min_v := 0)
  )
);

SELECT
  commodity_code,
  country_code,
  market_year,
  beginning_stocks,
  production,
  imports,
  total_supply,
  domestic_consumption,
  exports,
  ending_stocks,
  total_distribution,
  area_harvested,
  yield,
  ending_stocks / nullif(domestic_consumption + exports, 0) AS stocks_to_use,
  production_unit,
  ingest_date
FROM cleaned.commodity_country_year
