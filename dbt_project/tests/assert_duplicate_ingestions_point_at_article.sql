-- A duplicate file must point at an article that exists: through its article_id, or through
-- duplicate_of naming that article (by article_id, content sha256 or source file name), or at an article a
-- newer version of its file superseded (int_superseded_articles).
select i.*
from {{ ref('fct_file_ingestions') }} as i
where i.status = 'duplicate'
  and not exists (
      select 1
      from {{ ref('dim_articles') }} as a
      where a.article_id = i.article_id
         or a.article_id = i.duplicate_of
         or a.sha256 = i.duplicate_of
         or a.source_file = i.duplicate_of
  )
  and coalesce(i.article_id, i.duplicate_of) not in (select article_id from {{ ref('int_superseded_articles') }})
