MODEL (name serving.total_view, kind VIEW);
SELECT total * 10 AS total10 FROM serving.total
