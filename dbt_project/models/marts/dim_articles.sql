-- Incremental: a build loads the articles of new lake batches only; an article re-delivered in a later batch
-- replaces its row (delete+insert on article_id): the latest batch's row is kept.
-- Stories: each new article's story comes from the lake's `clusters` rows of the new batches (assigned once
-- at commit). near_duplicate_of names the story's earliest copy (published date, then ingest time), which a
-- new copy can change: the older members of every story a new article joins, or whose earliest copy an edited
-- file replaced, are re-selected and rewritten.
-- A superseded version (int_superseded_articles) is left out before the earliest copy is chosen.
{{
    config(
        materialized='incremental',
        unique_key='article_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ drop_superseded() }}"
    )
}}
-- depends_on: {{ ref('int_superseded_articles') }}

with articles as (
    {{ new_rows_of(ref('stg_articles'), 'article_id', 'batch_id desc, ingested_at desc') }}
),

fingerprints as (
    {{ new_rows_of(ref('stg_fingerprints'), 'article_id') }}
),

stories as (
    select member_id as article_id, cluster_id as story_id
    from (
        {{ new_rows_of(ref('stg_clusters'), 'kind, member_id') }}
    )
    where kind = 'story'
),

fresh as (
    select
        a.article_id,
        a.source_file,
        a.title,
        a.published_date,
        a.published_date_source,
        a.source_name,
        a.url,
        a.char_count,
        a.ingested_at,
        a.extractor_version,
        a.sha256,
        a.encoding,
        a.main_char_count,
        a.related_segment_count,
        a.warnings,
        a.batch_id,
        coalesce(s.story_id, a.article_id) as story_id,
        f.origin
    from articles as a
    left join stories as s using (article_id)
    left join fingerprints as f using (article_id)
),

members as (
    select * from fresh
    {% if is_incremental() %}
    union all
    select
        article_id, source_file, title, published_date, published_date_source, source_name, url, char_count,
        ingested_at, extractor_version, sha256, encoding, main_char_count, related_segment_count, warnings,
        batch_id, story_id, origin
    from {{ this }}
    where (story_id in (select story_id from fresh)
           -- a story whose earliest copy was replaced by an edited version of its file: choose again
           or story_id in (select story_id from {{ this }}
                           where article_id in (select article_id from {{ ref('int_superseded_articles') }})))
      and article_id not in (select article_id from fresh)
    {% endif %}
)

select
    article_id,
    source_file,
    title,
    published_date,
    published_date_source,
    source_name,
    url,
    char_count,
    ingested_at,
    extractor_version,
    sha256,
    encoding,
    main_char_count,
    related_segment_count,
    warnings,
    batch_id,
    story_id,
    case
        when first_value(article_id) over story_order <> article_id then first_value(article_id) over story_order
    end as near_duplicate_of,
    origin,
    nullif(lower(regexp_extract(url, '^[A-Za-z][A-Za-z0-9+.-]*://(www\.)?([^/:?#]+)', 2)), '') as url_domain
from members
-- superseded versions of edited files (deleted by the post-hook) are never the copy another one points to
where article_id not in (select article_id from {{ ref('int_superseded_articles') }})
window story_order as (partition by story_id order by published_date asc nulls last, ingested_at, article_id)
