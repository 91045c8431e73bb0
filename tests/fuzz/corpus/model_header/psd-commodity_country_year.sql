-- One balance sheet per commodity, country and market year, its attributes pivoted
-- into columns. Where a commodity has no "Domestic Consumption" line its use line
-- stands in: sugar reports "Total Disappearance", cotton "Domestic Use".
MODEL (
  name cleaned.commodity_country_year,
  kind FULL,
  description 'Supply and demand balance sheet per commodity, country and market year, one column per attribute',
  grain (commodity_code, country_code, market_year),
  tags (cleaned),
  owner commodity_analytics
);

SELECT
  commodity_code,
  max(commodity_description) AS commodity_description,
  country_code,
  max(country_name) AS country_name,
  market_year,
  max(value) FILTER (WHERE attribute_description = 'Production') AS production,
  max(value) FILTER (WHERE attribute_description = 'Imports') AS imports,
  max(value) FILTER (WHERE attribute_description = 'Exports') AS exports,
  coalesce(
    max(value) FILTER (WHERE attribute_description = 'Domestic Consumption'),
    max(value) FILTER (WHERE attribute_description = 'Total Disappearance'),
    max(value) FILTER (WHERE attribute_description = 'Domestic Use')
  ) AS domestic_consumption,
  max(value) FILTER (WHERE attribute_description = 'Beginning Stocks') AS beginning_stocks,
  max(value) FILTER (WHERE attribute_description = 'Ending Stocks') AS ending_stocks,
  max(value) FILTER (WHERE attribute_description = 'Total Supply') AS total_supply,
  max(value) FILTER (WHERE attribute_description = 'Total Distribution') AS total_distribution,
  max(value) FILTER (WHERE attribute_description = 'Area Harvested') AS area_harvested,
  max(value) FILTER (WHERE attribute_description = 'Yield') AS yield,
  max(unit_description) FILTER (WHERE attribute_description = 'Production') AS production_unit,
  max(unit_description) FILTER (WHERE attribute_description = 'Yield') AS yield_unit,
  max(ingest_date) AS ingest_date
FROM staging.stg_psd_alldata
GROUP BY commodity_code, country_code, market_year
