AUDIT (name positive);
