-- Nobody transfers to themselves.
select *
from {{ ref('fct_transfers') }}
where supplier_id = recipient_id
