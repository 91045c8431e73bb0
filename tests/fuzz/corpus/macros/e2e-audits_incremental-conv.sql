AUDIT (name amounts_are_numbers);
SELECT * FROM @this_model WHERE CAST(CAST(amount AS VARCHAR) || 'x' AS INTEGER) > 0;
