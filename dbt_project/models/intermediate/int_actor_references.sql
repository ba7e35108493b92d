-- Every actor id any fact references, with the role it plays there.
-- Incremental: a build adds the references of new lake batches only; a fact row re-delivered in a later
-- batch replaces its earlier references (delete+insert on fact_table + row_id).
{{
    config(
        materialized='incremental',
        unique_key=['fact_table', 'row_id'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ drop_superseded() }}"
    )
}}
-- depends_on: {{ ref('int_superseded_articles') }}

with transfers as (
    {{ new_rows_of(ref('stg_transfers'), 'row_id') }}
),

statements as (
    {{ new_rows_of(ref('stg_statements'), 'row_id') }}
),

event_actors as (
    select * from {{ ref('int_event_actors') }}
    {{ new_batches_only() }}
),

supplier as (
    select supplier_id as actor_id, 'supplier' as role, 'fct_transfers' as fact_table, row_id, article_id, batch_id
    from transfers
),

recipient as (
    select recipient_id as actor_id, 'recipient' as role, 'fct_transfers' as fact_table, row_id, article_id, batch_id
    from transfers
),

speaker as (
    select speaker_actor_id as actor_id, 'speaker' as role, 'fct_statements' as fact_table, row_id, article_id, batch_id
    from statements
),

event_actor as (
    select actor_id, 'event' as role, 'fct_events' as fact_table, row_id, article_id, batch_id
    from event_actors
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

select distinct actor_id, role, fact_table, row_id, article_id, batch_id
from unioned
where actor_id is not null and actor_id <> ''
