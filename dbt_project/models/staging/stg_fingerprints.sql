-- The lake's article fingerprints without the signature itself (the register step in Python uses it; the
-- warehouse needs the credited agency and the shingle count). One row per lake row.
with source as (
    select * from {{ source('lake', 'fingerprints') }}
)

select
    cast(article_id as varchar) as article_id,
    cast(origin as varchar) as origin,
    cast(n_shingles as bigint) as n_shingles,
    cast(batch_id as varchar) as batch_id
from source
