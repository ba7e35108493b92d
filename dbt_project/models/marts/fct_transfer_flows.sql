-- Who supplies what to whom: one row per (supplier, recipient, item_category, status).
-- Aggregates the fct_transfers table (not the lake), so a build reads no Parquet for it.
with flows as (
    select
        supplier_id,
        recipient_id,
        item_category,
        status,
        cast(count(*) as bigint) as n_rows,
        cast(count(*) filter (where segment = 'main') as bigint) as n_main_rows,
        cast(count(distinct article_id) as bigint) as n_articles,
        min(published_date) as first_published_date,
        max(published_date) as last_published_date
    from {{ ref('fct_transfers') }}
    group by supplier_id, recipient_id, item_category, status
)

select
    concat_ws('|', f.supplier_id, f.recipient_id, f.item_category, f.status) as flow_key,
    f.supplier_id,
    s.name_en as supplier_name_en,
    s.name_ar as supplier_name_ar,
    f.recipient_id,
    r.name_en as recipient_name_en,
    r.name_ar as recipient_name_ar,
    f.item_category,
    f.status,
    f.n_rows,
    f.n_main_rows,
    f.n_articles,
    f.first_published_date,
    f.last_published_date
from flows as f
left join {{ ref('dim_actors') }} as s on s.actor_id = f.supplier_id
left join {{ ref('dim_actors') }} as r on r.actor_id = f.recipient_id
