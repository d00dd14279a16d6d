{#-
  Age in full years on the reference day (1 July: vars age_reference_month/day) of `year`: from the birth
  date (its year, and whether the birthday falls after the reference day) when that gives 0-120, else Umur
  (the age on 1 July 2015, the PBDT 2015 reference date) plus the years since. One definition for
  int_bdt__person_ages and every model that needs an age inline.
-#}
{% macro age_from_birth_date(year, birth_year, birthday_after_reference_day) -%}
    ({{ year }} - {{ birth_year }} - case when {{ birthday_after_reference_day }} then 1 else 0 end)
{%- endmacro %}

{% macro age_from_umur(year, age_at_enumeration) -%}
    ({{ age_at_enumeration }} + ({{ year }} - {{ var('bdt_base_year') }}))
{%- endmacro %}

{% macro age_in_year(year, birth_year='birth_year', birthday_after_reference_day='birthday_after_reference_day', age_at_enumeration='age_at_enumeration') -%}
    case
        when {{ age_from_birth_date(year, birth_year, birthday_after_reference_day) }} between 0 and 120
            then {{ age_from_birth_date(year, birth_year, birthday_after_reference_day) }}
        when {{ age_from_umur(year, age_at_enumeration) }} between 0 and 120
            then {{ age_from_umur(year, age_at_enumeration) }}
    end
{%- endmacro %}

{% macro age_source_in_year(year, birth_year='birth_year', birthday_after_reference_day='birthday_after_reference_day', age_at_enumeration='age_at_enumeration') -%}
    case
        when {{ age_from_birth_date(year, birth_year, birthday_after_reference_day) }} between 0 and 120
            then 'birth_date'
        when {{ age_from_umur(year, age_at_enumeration) }} between 0 and 120
            then 'umur'
        else 'unknown'
    end
{%- endmacro %}
