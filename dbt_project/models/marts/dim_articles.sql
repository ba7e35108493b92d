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
    batch_id
from {{ ref('stg_articles') }}
