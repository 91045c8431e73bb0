-- The countries (and country groups such as the European Union) in the data.
MODEL (
  name serving.dim_country,
  kind VIEW,
  description 'One row per country or country group: code, name, commodities reported and years covered',
  grain country_code,
  tags (serving, dimension),
  owner commodity_analytics
);

SELECT
  country_code,
  max(country_name) AS country_name,
  count(DISTINCT commodity_code) AS commodities,
  min(market_year) AS first_market_year,
  max(market_year) AS last_market_year
FROM cleaned.commodity_country_year
GROUP BY country_code
