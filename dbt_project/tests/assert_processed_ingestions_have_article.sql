-- Every processed file must have produced an article in dim_articles.
select i.*
from {{ ref('fct_file_ingestions') }} as i
left join {{ ref('dim_articles') }} as a using (article_id)
where i.status = 'processed'
  and a.article_id is null
