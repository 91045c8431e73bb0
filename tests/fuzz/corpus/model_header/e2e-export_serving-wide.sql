MODEL (name serving.wide, kind FULL);
SELECT range AS id, md5(range::VARCHAR) AS h, range % 7 AS bucket FROM range(300000)
