{#-
  Rolling facts located by Kemendagri codes (kabupaten_kemendagri_code, kecamatan_kemendagri_code,
  desa_kemendagri_code) up the region hierarchy in one pass:

      select {{ region_level_columns() }}, sum(x) ...
      from facts
      group by {{ region_grouping_sets(['reporting_year']) }}

  gives one row per province, kab/kota, kecamatan and desa (region_level, kemendagri_code). Facts whose
  code at a level is unknown count in the levels above it only (their null-code row is dropped by the join
  on int_regions).
-#}

{% macro region_grouping_sets(keys=[]) -%}
    {%- set levels = [[], ['kabupaten_kemendagri_code'],
                      ['kabupaten_kemendagri_code', 'kecamatan_kemendagri_code'],
                      ['kabupaten_kemendagri_code', 'kecamatan_kemendagri_code', 'desa_kemendagri_code']] -%}
    grouping sets (
        {%- for level in levels %}
        ({{ (keys + level) | join(', ') }}){% if not loop.last %},{% endif %}
        {%- endfor %}
    )
{%- endmacro %}

{% macro region_level_columns() -%}
        case
            when grouping(desa_kemendagri_code) = 0 then 'desa'
            when grouping(kecamatan_kemendagri_code) = 0 then 'kecamatan'
            when grouping(kabupaten_kemendagri_code) = 0 then 'kabupaten'
            else 'province'
        end as region_level,
        case
            when grouping(desa_kemendagri_code) = 0 then desa_kemendagri_code
            when grouping(kecamatan_kemendagri_code) = 0 then kecamatan_kemendagri_code
            when grouping(kabupaten_kemendagri_code) = 0 then kabupaten_kemendagri_code
            else '{{ var("province_code") }}'
        end as kemendagri_code
{%- endmacro %}

{#- Column-name slug of a value such as 'APBD Kabupaten/Kota' -> 'apbd_kabupaten_kota'. -#}
{% macro slug(value) -%}
    {{- modules.re.sub('[^a-z0-9]+', '_', value | lower).strip('_') -}}
{%- endmacro %}

{#- Safe ratio: null when the denominator is 0 or null. -#}
{% macro ratio(numerator, denominator) -%}
    ({{ numerator }})::double / nullif({{ denominator }}, 0)
{%- endmacro %}
