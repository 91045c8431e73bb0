-- PSD records with types, the release (ingest_date) each came from, and a hash key
-- over the natural key. A record appears in every monthly release; only its copy
-- from the latest release is kept, so revisions replace what they revise.
MODEL (
  name staging.stg_psd_alldata,
  kind FULL,
  description 'PSD records typed and deduplicated: the latest release of each commodity, country, market year and attribute',
  grain (commodity_code, country_code, market_year, attribute_id),
  tags (staging),
  owner commodity_analytics
);

WITH typed AS (
  SELECT
    commodity_code,
    commodity_description,
    country_code,
    country_name,
    CAST(market_year AS INTEGER) AS market_year,
    CAST(calendar_year AS INTEGER) AS calendar_year,
    CAST(calendar_month AS INTEGER) AS calendar_month,
    attribute_id,
    attribute_description,
    unit_id,
    unit_description,
    CAST(value AS DOUBLE) AS value,
    make_date(
      CAST(regexp_extract(source_file, '/psd/([0-9]{4})/([0-9]{2})/', 1) AS INTEGER),
      CAST(regexp_extract(source_file, '/psd/([0-9]{4})/([0-9]{2})/', 2) AS INTEGER),
      1
    ) AS ingest_date,
    source_file
  FROM raw.psd_alldata
)
SELECT
  md5(concat_ws('|', commodity_code, country_code, market_year, attribute_id)) AS psd_key,
  commodity_code,
  commodity_description,
  country_code,
  country_name,
  market_year,
  calendar_year,
  calendar_month,
  attribute_id,
  attribute_description,
  unit_id,
  unit_description,
  value,
  ingest_date,
  source_file
FROM typed
QUALIFY row_number() OVER (
  PARTITION BY commodity_code, country_code, market_year, attribute_id
  ORDER BY ingest_date DESC, source_file DESC
) = 1
