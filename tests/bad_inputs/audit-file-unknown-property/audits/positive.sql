AUDIT (name positive, blockng true);
SELECT * FROM @this_model WHERE @column < 0;
