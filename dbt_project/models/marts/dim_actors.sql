-- The actor lexicon (seed `actors`) plus every actor id a fact references that the lexicon lacks
-- (actor_type 'unknown'), so that every relationship from a fact to dim_actors holds.
with lexicon as (
    select
        cast(actor_id as varchar) as actor_id,
        nullif(cast(name_ar as varchar), '') as name_ar,
        nullif(cast(name_en as varchar), '') as name_en,
        nullif(cast(actor_type as varchar), '') as actor_type,
        nullif(cast(parent_id as varchar), '') as parent_id
    from {{ ref('actors') }}
    where actor_id is not null and actor_id <> ''
),

references_per_actor as (
    select
        actor_id,
        count(*) as n_references,
        count(distinct article_id) as n_articles
    from {{ ref('int_actor_references') }}
    group by actor_id
),

unknown as (
    select
        r.actor_id,
        cast(null as varchar) as name_ar,
        cast(null as varchar) as name_en,
        'unknown' as actor_type,
        cast(null as varchar) as parent_id
    from references_per_actor as r
    where r.actor_id not in (select actor_id from lexicon)
),

actors as (
    select *, true as is_in_lexicon from lexicon
    union all
    select *, false as is_in_lexicon from unknown
)

select
    a.actor_id,
    a.name_ar,
    a.name_en,
    a.actor_type,
    a.parent_id,
    a.is_in_lexicon,
    cast(coalesce(r.n_references, 0) as bigint) as n_references,
    cast(coalesce(r.n_articles, 0) as bigint) as n_articles
from actors as a
left join references_per_actor as r using (actor_id)
