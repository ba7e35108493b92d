-- Every actor id any fact references, with the role it plays there.
with supplier as (
    select supplier_id as actor_id, 'supplier' as role, 'fct_transfers' as fact_table, row_id, article_id
    from {{ ref('stg_transfers') }}
),

recipient as (
    select recipient_id as actor_id, 'recipient' as role, 'fct_transfers' as fact_table, row_id, article_id
    from {{ ref('stg_transfers') }}
),

speaker as (
    select speaker_actor_id as actor_id, 'speaker' as role, 'fct_statements' as fact_table, row_id, article_id
    from {{ ref('stg_statements') }}
),

event_actor as (
    select actor_id, 'event' as role, 'fct_events' as fact_table, row_id, article_id
    from {{ ref('int_event_actors') }}
),

unioned as (
    select * from supplier
    union all
    select * from recipient
    union all
    select * from speaker
    union all
    select * from event_actor
)

select distinct actor_id, role, fact_table, row_id, article_id
from unioned
where actor_id is not null and actor_id <> ''
