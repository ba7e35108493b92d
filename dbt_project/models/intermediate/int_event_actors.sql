-- One row per (event, actor id): the actor_ids list unnested, first position kept when an id repeats.
with unnested as (
    select
        row_id,
        article_id,
        event_type,
        segment,
        batch_id,
        unnest(actor_ids) as actor_id,
        generate_subscripts(actor_ids, 1) as actor_position
    from {{ ref('stg_events') }}
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
