-- Every monthly PSD Online release in the landing directory, exactly as published:
-- all columns as text so that zero-padded codes ("0440000", "028", "08") survive, plus
-- the file each row came from (its path carries the release's year and month).
MODEL (
  name raw.psd_alldata,
  kind FULL,
  description 'PSD Online psd_alldata releases as landed: one row per line of every monthly file, all columns text, with the source file path',
  grain (source_file, commodity_code, country_code, market_year, attribute_id),
  tags (raw, heavy),
  owner commodity_analytics
);

SELECT
  Commodity_Code AS commodity_code,
  Commodity_Description AS commodity_description,
  Country_Code AS country_code,
  Country_Name AS country_name,
  Market_Year AS market_year,
  Calendar_Year AS calendar_year,
  Month AS calendar_month,
  Attribute_ID AS attribute_id,
  Attribute_Description AS attribute_description,
  Unit_ID AS unit_id,
  Unit_Description AS unit_description,
  Value AS value,
  filename AS source_file
FROM read_csv(
  @VAR('landing_dir') || '/psd/*/*/*.csv.gz',
  header = true,
  delim = ',',
  quote = '"',
  all_varchar = true,
  filename = true
)
