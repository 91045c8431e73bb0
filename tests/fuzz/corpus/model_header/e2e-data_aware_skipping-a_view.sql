MODEL (name serving.a_view, kind VIEW);
SELECT id, doubled FROM serving.a_summary
