SELECT @VAR('landing_dir') AS dir, @VAR('n', 3) + @n AS n, @var('missing', [1, (2), {'a': 3}]) AS m,
  @FLAG, @names, @this_model, @gateway, @ABS(-1), '@start_ds' AS literal, "@end_ds" AS ident
-- @start_ds in a comment
/* @VAR('x') in a block comment */
FROM read_csv(@VAR('landing_dir') || '/psd/*/*/*.csv.gz')
