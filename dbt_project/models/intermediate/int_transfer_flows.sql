-- Supplier -> recipient aggregates per item category and status.
with transfers as (
    select
        t.supplier_id,
        t.recipient_id,
        t.item_category,
        t.status,
        t.segment,
        t.article_id,
        t.quantity_min,
        a.published_date
    from {{ ref('stg_transfers') }} as t
    left join {{ ref('stg_articles') }} as a using (article_id)
)

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
from transfers
group by supplier_id, recipient_id, item_category, status
