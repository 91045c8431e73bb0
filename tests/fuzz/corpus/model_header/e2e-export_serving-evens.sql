MODEL (name serving.evens, kind VIEW);
SELECT n FROM raw.numbers WHERE n % 2 = 0
