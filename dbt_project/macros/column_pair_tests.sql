{#-
    Column-pair check: fails on rows where both columns are set and
    `column_name <operator> other_column` does not hold (e.g. quantity_min <= quantity_max).
-#}
{% test column_pair_order(model, column_name, other_column, operator='<=') %}

select *
from {{ model }}
where {{ column_name }} is not null
  and {{ other_column }} is not null
  and not ({{ column_name }} {{ operator }} {{ other_column }})

{% endtest %}
