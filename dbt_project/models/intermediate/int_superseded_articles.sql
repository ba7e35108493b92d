-- Articles replaced by a newer version of the same file: a file edited after ingestion (same path, new
-- content) is a new article, and the older one is superseded once no inbox path still holds its content.
-- The lake keeps every version (history); the incremental marts delete superseded articles' rows after each
-- build (post-hook macro drop_superseded), so counts and flows hold each file's current version once.
-- A table rebuilt from the ledger on every build (the ledger is small: one row per file event).
{{ config(materialized='table') }}

with events as (
    -- the article each recorded file event delivered: its own, or for a duplicate the article it repeats
    select file_path, coalesce(article_id, duplicate_of) as article_id, batch_id, ingested_at
    from {{ ref('stg_file_ingestions') }}
    where status in ('processed', 'duplicate') and coalesce(article_id, duplicate_of) is not null
),

current_version as (
    select file_path, article_id
    from events
    qualify row_number() over (partition by file_path order by batch_id desc, ingested_at desc) = 1
),

ever_processed as (
    select distinct file_path, article_id
    from {{ ref('stg_file_ingestions') }}
    where status = 'processed' and article_id is not null
)

select
    p.article_id,
    min(c.article_id) as superseded_by,
    min(p.file_path) as file_path
from ever_processed as p
join current_version as c on c.file_path = p.file_path and c.article_id <> p.article_id
where p.article_id not in (select article_id from current_version)
group by p.article_id
