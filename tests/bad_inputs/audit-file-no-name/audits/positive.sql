AUDIT (blocking true);
SELECT * FROM @this_model WHERE @column < 0;
