-- Story, deal and event assignments from the lake, one row per lake row (a member is assigned once).
with source as (
    select * from {{ source('lake', 'clusters') }}
)

select
    cast(kind as varchar) as kind,
    cast(member_id as varchar) as member_id,
    cast(cluster_id as varchar) as cluster_id,
    cast(matched_id as varchar) as matched_id,
    cast(score as double) as score,
    cast(batch_id as varchar) as batch_id
from source
