-- Rows whose column is below a threshold (0 unless the model says otherwise).
AUDIT (name assert_positive, defaults (threshold = 0));
SELECT * FROM @this_model WHERE @column < @threshold;
