AUDIT (name positive, defaults (threshold 0));
SELECT * FROM @this_model WHERE @column < @threshold;
