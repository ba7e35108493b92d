-- Every processed file must have produced an article in dim_articles, unless a newer version of the same
-- file superseded it (int_superseded_articles: kept in the lake, left out of the marts).
select i.*
from {{ ref('fct_file_ingestions') }} as i
left join {{ ref('dim_articles') }} as a using (article_id)
where i.status = 'processed'
  and a.article_id is null
  and i.article_id not in (select article_id from {{ ref('int_superseded_articles') }})
