SELECT @start_ds, @end_ds, @start_date, @end_date, @start_ts, @end_ts,
       @start_epoch, @end_epoch, @start_millis, @end_millis, @start_tstz, @end_dt,
       @execution_ds, @execution_ts, @execution_epoch, @execution_date, @execution_tstz
FROM t WHERE ds BETWEEN @start_ds AND @end_ds
