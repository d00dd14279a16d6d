-- Poverty by region: one row per reporting year and region (province, kab/kota, kecamatan, desa).
-- Denominators from Dukcapil (population year chosen in int_reporting_years), BDT households and people by
-- decile (BDT 2015, the same in every reporting year), BPS P0 for the province, and ranks among peers.
with

regions as (
    select * from {{ ref('int_regions') }}
),

years as (
    select * from {{ ref('int_reporting_years') }}
),

households as (
    select * from {{ ref('int_bdt__households') }}
),

bps as (
    select * from {{ ref('bps_poverty_province') }}
),

population as (
    select
        population.population_year,
        population.desa_kemendagri_code,
        villages.kecamatan_kemendagri_code,
        villages.kabupaten_kemendagri_code,
        population.population,
        population.family_cards,
    from {{ ref('stg_population__villages') }} as population
    left join {{ ref('stg_wilayah__villages') }} as villages
        on population.desa_kemendagri_code = villages.desa_kemendagri_code
),

bdt_rollup as (
    select
        {{ region_level_columns() }},
        count(*) as bdt_households,
        {%- for d in range(1, 5) %}
        count(*) filter (where decile = {{ d }}) as bdt_households_decile_{{ d }},
        {%- endfor %}
        sum(members_present) as bdt_people,
        {%- for d in range(1, 5) %}
        coalesce(sum(members_present) filter (where decile = {{ d }}), 0) as bdt_people_decile_{{ d }},
        {%- endfor %}
    from households
    group by {{ region_grouping_sets() }}
),

population_rollup as (
    select
        population_year,
        {{ region_level_columns() }},
        sum(population) as population,
        sum(family_cards) as family_cards,
    from population
    group by {{ region_grouping_sets(['population_year']) }}
),

bps_by_year as (
    select
        year,
        max(p0_pct) filter (where month(period_end) = 3) as bps_p0_pct_march,
        max(p0_pct) filter (where month(period_end) = 9) as bps_p0_pct_september,
        max(poor_people_thousands) filter (where month(period_end) = 3) as bps_poor_people_thousands_march,
        max(poor_people_thousands) filter (where month(period_end) = 9) as bps_poor_people_thousands_september,
        max(poverty_line_rp) filter (where month(period_end) = 3) as bps_poverty_line_rp_march,
        string_agg(distinct source, '; ') as bps_source,
    from bps
    group by year
),

joined as (
    select
        years.reporting_year,
        regions.region_level,
        regions.kemendagri_code,
        regions.bps_code,
        regions.region_name,
        regions.region_type,
        regions.parent_kemendagri_code,
        regions.kabupaten_kemendagri_code,
        regions.kabupaten_bps_code,
        regions.kabupaten_name,
        regions.kecamatan_kemendagri_code,
        regions.kecamatan_bps_code,
        regions.kecamatan_name,
        years.population_year,
        population_rollup.population,
        population_rollup.family_cards,
        coalesce(bdt_rollup.bdt_households, 0) as bdt_households,
        {%- for d in range(1, 5) %}
        coalesce(bdt_rollup.bdt_households_decile_{{ d }}, 0) as bdt_households_decile_{{ d }},
        {%- endfor %}
        coalesce(bdt_rollup.bdt_people, 0) as bdt_people,
        {%- for d in range(1, 5) %}
        coalesce(bdt_rollup.bdt_people_decile_{{ d }}, 0) as bdt_people_decile_{{ d }},
        {%- endfor %}
        bps_by_year.bps_p0_pct_march,
        bps_by_year.bps_p0_pct_september,
        bps_by_year.bps_poor_people_thousands_march,
        bps_by_year.bps_poor_people_thousands_september,
        bps_by_year.bps_poverty_line_rp_march,
        bps_by_year.bps_source,
    from years
    cross join regions
    left join population_rollup
        on years.population_year = population_rollup.population_year
        and regions.region_level = population_rollup.region_level
        and regions.kemendagri_code = population_rollup.kemendagri_code
    left join bdt_rollup
        on regions.region_level = bdt_rollup.region_level
        and regions.kemendagri_code = bdt_rollup.kemendagri_code
    left join bps_by_year
        on years.reporting_year = bps_by_year.year
        and regions.region_level = 'province'
),

shares as (
    select
        *,
        {{ ratio('bdt_people_decile_1', 'population') }} as share_population_decile_1,
        {{ ratio('bdt_people', 'population') }} as share_population_decile_1_4,
        {{ ratio('bdt_households_decile_1', 'family_cards') }} as share_family_cards_decile_1,
        {{ ratio('bdt_households', 'family_cards') }} as share_family_cards_decile_1_4,
    from joined
),

ranked as (
    select
        *,
        rank() over (
            partition by reporting_year, region_level
            order by share_population_decile_1 desc nulls last
        ) as rank_decile_1_share,
        rank() over (
            partition by reporting_year, region_level, parent_kemendagri_code
            order by share_population_decile_1 desc nulls last
        ) as rank_decile_1_share_in_parent,
        rank() over (
            partition by reporting_year, region_level
            order by share_population_decile_1_4 desc nulls last
        ) as rank_decile_1_4_share,
        rank() over (
            partition by reporting_year, region_level
            order by bdt_people_decile_1 desc
        ) as rank_decile_1_people,
    from shares
)

select * from ranked
