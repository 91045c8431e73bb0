-- The commodities in the data, with the unit their quantities are reported in and
-- the span of market years covered.
MODEL (
  name serving.dim_commodity,
  kind VIEW,
  description 'One row per commodity: code, name, family, quantity unit, countries reporting and years covered',
  grain commodity_code,
  tags (serving, dimension),
  owner commodity_analytics
);

SELECT
  commodity_code,
  max(commodity_description) AS commodity_description,
  trim(split_part(max(commodity_description), ',', 1)) AS commodity_family,
  max(production_unit) AS production_unit,
  count(DISTINCT country_code) AS countries,
  min(market_year) AS first_market_year,
  max(market_year) AS last_market_year
FROM cleaned.commodity_country_year
GROUP BY commodity_code
