-- Who asserts each transfer and event mention: one row per fct_transfers / fct_events row.
-- The claimant is the speaker or medium of a statement in the same article and sentence (for a transfer, one
-- whose quote contains the item's words; the longest quote wins, then the statement row id), else the outlet
-- that published the article. A denial (transfer status `denied`, event type `denial`) is a claim of the
-- opposite polarity (-1), by the denying actor. Carries what the register marts group and count by: the
-- mention's deal or event cluster, the article's story, origin, outlet and dates.
-- Incremental: a claim depends only on its own article's rows, so a build adds the mentions of new batches.
{{
    config(
        materialized='incremental',
        unique_key='claim_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ drop_superseded() }}"
    )
}}
-- depends_on: {{ ref('int_superseded_articles') }}

with transfers as (
    select row_id, article_id, sentence_index, item_text, status, confidence, batch_id
    from {{ ref('fct_transfers') }}
    {{ new_batches_only() }}
),

events as (
    select row_id, article_id, sentence_index, event_type, actor_ids, confidence, batch_id
    from {{ ref('fct_events') }}
    {{ new_batches_only() }}
),

mentions as (
    select
        'fct_transfers' as mention_table, row_id, article_id, sentence_index, item_text,
        case when status = 'denied' then -1 else 1 end as polarity,
        cast(null as varchar) as subject_actor_id, confidence, batch_id
    from transfers
    union all
    select
        'fct_events' as mention_table, row_id, article_id, sentence_index, cast(null as varchar) as item_text,
        case when event_type = 'denial' then -1 else 1 end as polarity,
        actor_ids[1] as subject_actor_id, confidence, batch_id
    from events
),

statements as (
    select row_id, article_id, sentence_index, speaker_name, speaker_actor_id, reporting_verb, quote_text
    from {{ ref('fct_statements') }}
    where article_id in (select article_id from mentions)
),

linked as (
    select
        m.mention_table,
        m.row_id,
        s.row_id as statement_row_id,
        s.speaker_actor_id,
        coalesce(s.speaker_name, s.reporting_verb) as speaker_label
    from mentions as m
    join statements as s
        on s.article_id = m.article_id and s.sentence_index = m.sentence_index
    where m.mention_table = 'fct_events' or contains(s.quote_text, m.item_text)
    qualify row_number() over (
        partition by m.mention_table, m.row_id order by length(s.quote_text) desc, s.row_id
    ) = 1
),

clusters as (
    -- a fact row's cluster is assigned in the commit that brought the row: the new batches hold it
    select kind, member_id, cluster_id
    from (select * from {{ ref('stg_clusters') }} {{ new_batches_only() }})
    where kind in ('deal', 'event')
    qualify row_number() over (partition by kind, member_id order by batch_id desc) = 1
)

select
    m.mention_table || ':' || m.row_id as claim_id,
    m.mention_table,
    m.row_id,
    m.article_id,
    coalesce(c.cluster_id, case when m.mention_table = 'fct_transfers' then 'deal-' else 'event-' end || m.row_id)
        as cluster_id,
    cast(m.polarity as integer) as polarity,
    case when l.statement_row_id is not null then 'speaker' else 'outlet' end as claimant_kind,
    case
        when l.statement_row_id is not null then l.speaker_actor_id
        when m.polarity = -1 then m.subject_actor_id
    end as claimant_actor_id,
    coalesce(l.speaker_label, a.source_name, a.url_domain) as claimant_name,
    l.statement_row_id,
    a.source_name,
    a.url_domain,
    coalesce(a.source_name, a.url_domain, 'article:' || m.article_id) as outlet_key,
    a.origin,
    a.story_id,
    a.published_date,
    a.ingested_at,
    m.confidence,
    m.batch_id
from mentions as m
left join linked as l using (mention_table, row_id)
left join clusters as c
    on c.member_id = m.row_id and c.kind = case when m.mention_table = 'fct_transfers' then 'deal' else 'event' end
left join {{ ref('dim_articles') }} as a on a.article_id = m.article_id
