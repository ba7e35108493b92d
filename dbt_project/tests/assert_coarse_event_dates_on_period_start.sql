-- Month- and year-granularity event dates are the first day of their period
-- (the 1st of the month / 1 January); week-granularity dates are a Monday.
select *
from {{ ref('fct_events') }}
where event_date is not null
  and (
      (date_granularity = 'month' and day(event_date) <> 1)
      or (date_granularity = 'year' and (month(event_date) <> 1 or day(event_date) <> 1))
      or (date_granularity = 'week' and isodow(event_date) <> 1)
  )
