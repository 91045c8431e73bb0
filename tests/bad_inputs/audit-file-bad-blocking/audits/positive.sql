AUDIT (name positive, blocking maybe);
SELECT * FROM @this_model WHERE @column < 0;
