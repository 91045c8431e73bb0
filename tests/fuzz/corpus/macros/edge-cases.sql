SELECT @ 1, @VAR, @VAR(), @VAR('a', ), @VAR('a' 'b'), @VAR('a', 1, 2), @VAR('a'], @START_DS_X, $$ @start_ds $$, E'\'' || @end_ts
