-- The ingestion ledger: one row per file event, keyed by (sha256, file_name, batch_id) plus file_path,
-- so two same-named files in different folders of one batch stay two rows.
with source as (
    select * from {{ source('lake', 'ingestions') }}
)

select
    md5(concat_ws('|', sha256, file_name, file_path, batch_id)) as ingestion_key,
    cast(file_name as varchar) as file_name,
    cast(file_path as varchar) as file_path,
    cast(sha256 as varchar) as sha256,
    cast(size_bytes as bigint) as size_bytes,
    cast(mtime_ns as bigint) as mtime_ns,
    cast(status as varchar) as status,
    cast(reason as varchar) as reason,
    cast(article_id as varchar) as article_id,
    cast(duplicate_of as varchar) as duplicate_of,
    cast(run_id as varchar) as run_id,
    cast(batch_id as varchar) as batch_id,
    cast(ingested_at as timestamp with time zone) as ingested_at
from source
qualify row_number() over (partition by sha256, file_name, file_path, batch_id order by ingested_at desc) = 1
