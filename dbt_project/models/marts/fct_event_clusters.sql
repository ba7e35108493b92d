-- The same happening reported by many articles as one row (extractors/ingest/register.py assigns each event
-- mention once: same type, overlapping actors, anchor dates within a day, where the anchor is the event date
-- known to the day, else the article's published date; a mention with neither date, or without actors, is a
-- cluster of its own). Built from fct_claims + fct_events, incrementally as the deals (macro touched_clusters);
-- vars as_of / ingested_by as for deals.
{{
    config(
        materialized='incremental',
        unique_key='cluster_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ drop_empty_clusters('fct_events', 'cluster_id') }}"
    )
}}
with claims as (
    select * from {{ ref('fct_claims') }}
    {{ as_of_filter() }}
      and mention_table = 'fct_events'
      {{ touched_clusters('fct_events', 'cluster_id') }}
),

story_origins as (
    select story_id, min(origin) as story_origin
    from {{ ref('dim_articles') }}
    where story_id in (select story_id from claims)
    group by story_id
),

mentions as (
    select
        c.cluster_id,
        c.row_id,
        c.article_id,
        c.polarity,
        c.claimant_actor_id,
        c.outlet_key,
        c.source_name,
        c.story_id,
        coalesce(so.story_origin, c.origin, c.story_id, c.article_id) as origin_key,
        c.published_date,
        c.ingested_at,
        c.batch_id,
        e.event_type,
        e.actor_ids,
        case when e.date_granularity = 'day' then e.event_date end as day_date,
        e.location_text
    from claims as c
    join {{ ref('fct_events') }} as e using (row_id)
    left join story_origins as so using (story_id)
),

actors as (
    select cluster_id, list(distinct actor_id order by actor_id) as actor_ids
    from (select cluster_id, unnest(actor_ids) as actor_id from mentions)
    where actor_id is not null and actor_id <> ''
    group by cluster_id
),

first_report as (
    select cluster_id, source_name as first_reported_by
    from mentions
    qualify row_number() over (partition by cluster_id order by published_date nulls last, article_id <> story_id, ingested_at, row_id
    ) = 1
),

clusters as (
    select
        cluster_id,
        min(event_type) as event_type,
        min(day_date) as event_date,
        max(day_date) as event_date_max,
        min(location_text) filter (where location_text is not null) as location_text,
        min(published_date) as first_reported,
        max(published_date) as last_reported,
        count(*) as n_mentions,
        count(distinct article_id) as n_articles,
        count(distinct outlet_key) as n_outlets,
        count(distinct origin_key) as n_origins,
        list(distinct source_name order by source_name) filter (where source_name is not null) as sources,
        list(row_id order by published_date nulls last, row_id) as mention_row_ids,
        max(batch_id) as last_batch_id
    from mentions
    group by cluster_id
)

select
    c.cluster_id,
    c.event_type,
    coalesce(a.actor_ids, []) as actor_ids,
    c.event_date,
    c.event_date_max,
    c.location_text,
    c.first_reported,
    c.last_reported,
    f.first_reported_by,
    cast(c.n_mentions as bigint) as n_mentions,
    cast(c.n_articles as bigint) as n_articles,
    cast(c.n_outlets as bigint) as n_outlets,
    cast(c.n_origins as bigint) as n_origins,
    coalesce(c.sources, []) as sources,
    c.mention_row_ids,
    c.last_batch_id
from clusters as c
left join actors as a using (cluster_id)
left join first_report as f using (cluster_id)
