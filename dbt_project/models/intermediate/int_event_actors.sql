-- One row per (event, actor id): the actor_ids list unnested, first position kept when an id repeats.
-- Incremental: a build unnests only the events of new lake batches; an event re-delivered in a later batch
-- replaces all of its earlier rows (delete+insert on row_id), as in fct_events.
{{
    config(
        materialized='incremental',
        unique_key='row_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ drop_superseded() }}"
    )
}}
-- depends_on: {{ ref('int_superseded_articles') }}

with events as (
    {{ new_rows_of(ref('stg_events'), 'row_id') }}
),

unnested as (
    select
        row_id,
        article_id,
        event_type,
        segment,
        batch_id,
        unnest(actor_ids) as actor_id,
        generate_subscripts(actor_ids, 1) as actor_position
    from events
)

select
    row_id || '|' || actor_id as event_actor_key,
    row_id,
    article_id,
    event_type,
    segment,
    actor_id,
    cast(min(actor_position) as bigint) as actor_position,
    batch_id
from unnested
where actor_id is not null and actor_id <> ''
group by all
