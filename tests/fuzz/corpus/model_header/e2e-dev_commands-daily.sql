MODEL (name stg.daily, kind INCREMENTAL_BY_TIME_RANGE (time_column ds), tags (daily));
select ds, sum(amount) as amount   -- per day
from raw.events
where ds between @start_ds and @end_ds group by ds
