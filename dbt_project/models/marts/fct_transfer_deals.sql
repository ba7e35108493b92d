-- The deal register: transfer mentions clustered into deals across articles (extractors/ingest/register.py
-- assigns each mention once: same supplier, recipient and category, compatible model, quantities and time).
-- One row per deal with its counts, dated status history, quantities (conservative low/high and the most
-- reported value), who claims it, who denies it, and the mentions behind it. Built from fct_claims +
-- fct_transfers, incrementally: a build recomputes the deals a new batch touched (macro touched_clusters);
-- the vars `as_of` / `ingested_by` rebuild it whole as known on a day (macro as_of_filter).
{{
    config(
        materialized='incremental',
        unique_key='deal_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ drop_empty_clusters('fct_transfers', 'deal_id') }}"
    )
}}
with claims as (
    select * from {{ ref('fct_claims') }}
    {{ as_of_filter() }}
      and mention_table = 'fct_transfers'
      {{ touched_clusters('fct_transfers', 'deal_id') }}
),

story_origins as (
    -- the agency a story credits, if any of its copies does: wire copies count as one origin
    select story_id, min(origin) as story_origin
    from {{ ref('dim_articles') }}
    where story_id in (select story_id from claims)
    group by story_id
),

mentions as (
    select
        c.cluster_id as deal_id,
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
        t.supplier_id,
        t.recipient_id,
        t.item_category,
        t.item_model,
        t.quantity_min,
        t.quantity_max,
        t.quantity_unit,
        t.status,
        t.confidence
    from claims as c
    join {{ ref('fct_transfers') }} as t using (row_id)
    left join story_origins as so using (story_id)
),

statuses as (
    select deal_id, status, min(published_date) as first_date, {{ status_rank('status') }} as status_rank
    from mentions
    group by deal_id, status
),

history as (
    select
        deal_id,
        list(status order by first_date nulls last, status_rank) as statuses,
        list(status || ':' || coalesce(cast(first_date as varchar), 'undated')
             order by first_date nulls last, status_rank) as status_history
    from statuses
    group by deal_id
),

latest as (
    select deal_id, status as latest_status, published_date as latest_status_date
    from mentions
    qualify row_number() over (
        partition by deal_id
        order by (polarity = 1) desc, published_date desc nulls last, {{ status_rank('status') }} desc, row_id
    ) = 1
),

exact_quantities as (
    select deal_id, quantity_min as quantity, count(*) as n, max(published_date) as last_date
    from mentions
    where polarity = 1 and quantity_min is not null and quantity_min = quantity_max
    group by deal_id, quantity_min
),

best_quantity as (
    select deal_id, quantity as quantity_best
    from exact_quantities
    qualify row_number() over (partition by deal_id order by n desc, last_date desc nulls last, quantity desc) = 1
),

origin_confidence as (
    select deal_id, origin_key, max(confidence) as confidence
    from mentions
    where polarity = 1
    group by deal_id, origin_key
),

confidence as (
    -- independent origins corroborate: 1 - prod(1 - best confidence of each origin)
    select deal_id, 1 - product(1 - least(confidence, 0.99)) as confidence
    from origin_confidence
    group by deal_id
),

first_report as (
    select deal_id, source_name as first_reported_by, origin_key as first_origin
    from mentions
    qualify row_number() over (partition by deal_id order by published_date nulls last, article_id <> story_id, ingested_at, row_id
    ) = 1
),

deals as (
    select
        deal_id,
        min(supplier_id) as supplier_id,
        min(recipient_id) as recipient_id,
        min(item_category) as item_category,
        list(distinct item_model order by item_model) filter (where item_model is not null) as item_models,
        min(published_date) as first_reported,
        max(published_date) as last_reported,
        min(ingested_at) as first_ingested_at,
        max(ingested_at) as last_ingested_at,
        count(*) as n_mentions,
        count(distinct article_id) as n_articles,
        count(distinct outlet_key) as n_outlets,
        count(distinct origin_key) as n_origins,
        min(quantity_min) filter (where polarity = 1) as quantity_low,
        max(coalesce(quantity_max, quantity_min)) filter (where polarity = 1) as quantity_high,
        mode(quantity_unit) filter (where polarity = 1 and quantity_unit is not null) as quantity_unit,
        list(distinct claimant_actor_id order by claimant_actor_id)
            filter (where polarity = 1 and claimant_actor_id is not null) as claimed_by,
        list(distinct claimant_actor_id order by claimant_actor_id)
            filter (where polarity = -1 and claimant_actor_id is not null) as denied_by,
        count(*) filter (where polarity = -1) as n_denials,
        bool_or(polarity = 1) and bool_or(polarity = -1) as contested,
        list(distinct source_name order by source_name) filter (where source_name is not null) as sources,
        list(row_id order by published_date nulls last, row_id) as mention_row_ids,
        max(batch_id) as last_batch_id
    from mentions
    group by deal_id
)

select
    d.deal_id,
    d.supplier_id,
    d.recipient_id,
    d.item_category,
    coalesce(d.item_models, []) as item_models,
    l.latest_status,
    l.latest_status_date,
    h.statuses,
    h.status_history,
    d.first_reported,
    d.last_reported,
    f.first_reported_by,
    f.first_origin,
    d.first_ingested_at,
    d.last_ingested_at,
    cast(d.n_mentions as bigint) as n_mentions,
    cast(d.n_articles as bigint) as n_articles,
    cast(d.n_outlets as bigint) as n_outlets,
    cast(d.n_origins as bigint) as n_origins,
    d.quantity_low,
    b.quantity_best,
    d.quantity_high,
    d.quantity_unit,
    coalesce(d.quantity_low <> d.quantity_high, false) as quantity_is_estimate,
    coalesce(d.claimed_by, []) as claimed_by,
    coalesce(d.denied_by, []) as denied_by,
    cast(d.n_denials as bigint) as n_denials,
    d.contested,
    cast(round(coalesce(cf.confidence, 0), 4) as double) as confidence,
    coalesce(d.sources, []) as sources,
    d.mention_row_ids,
    d.last_batch_id
from deals as d
left join latest as l using (deal_id)
left join history as h using (deal_id)
left join best_quantity as b using (deal_id)
left join confidence as cf using (deal_id)
left join first_report as f using (deal_id)
