-- Sector gaps: one row per reporting year, sector and region. Need and service are counted in BDT
-- households at their residence (int_coverage__household_sectors); spending is counted where it was
-- delivered (the Kemendagri desa of the delivery). Priority ranks put the largest decile-I gaps first.
with

regions as (
    select * from {{ ref('int_regions') }}
),

years as (
    select reporting_year from {{ ref('int_reporting_years') }}
),

sectors as (
    select distinct sector from {{ ref('programme_catalogue') }}
    union
    select distinct sector from {{ ref('need_rules') }}
),

household_sectors as (
    select * from {{ ref('int_coverage__household_sectors') }}
),

deliveries as (
    select * from {{ ref('int_interventions__deliveries_matched') }}
),

need_rollup as (
    select
        reporting_year,
        sector,
        {{ region_level_columns() }},
        count(*) filter (where is_in_need) as households_in_need,
        count(*) filter (where is_in_need and is_reached) as households_in_need_served,
        count(*) filter (where is_reached) as households_reached,
        count(*) filter (where is_in_need and decile = 1) as decile_1_households_in_need,
        count(*) filter (where is_in_need and is_reached and decile = 1) as decile_1_households_in_need_served,
    from household_sectors
    group by {{ region_grouping_sets(['reporting_year', 'sector']) }}
),

spend_rollup as (
    select
        reporting_year,
        sector,
        {{ region_level_columns() }},
        count(*) as deliveries,
        {%- for source in var('funding_sources') %}
        coalesce(sum(amount_rp) filter (where funding_source = '{{ source }}'), 0)::bigint as spend_{{ slug(source) }}_rp,
        {%- endfor %}
        coalesce(sum(amount_rp), 0)::bigint as spend_total_rp,
    from (
        select
            reporting_year,
            sector,
            kabupaten_kemendagri_code,
            kecamatan_kemendagri_code,
            located_desa_kemendagri_code as desa_kemendagri_code,
            funding_source,
            amount_rp,
        from deliveries
    )
    group by {{ region_grouping_sets(['reporting_year', 'sector']) }}
),

grid as (
    select
        years.reporting_year,
        sectors.sector,
        regions.*,
    from years
    cross join sectors
    cross join regions
),

joined as (
    select
        grid.reporting_year,
        grid.sector,
        grid.region_level,
        grid.kemendagri_code,
        grid.bps_code,
        grid.region_name,
        grid.region_type,
        grid.parent_kemendagri_code,
        grid.kabupaten_kemendagri_code,
        grid.kabupaten_bps_code,
        grid.kabupaten_name,
        grid.kecamatan_kemendagri_code,
        grid.kecamatan_bps_code,
        grid.kecamatan_name,
        coalesce(need_rollup.households_in_need, 0) as households_in_need,
        coalesce(need_rollup.households_in_need_served, 0) as households_in_need_served,
        coalesce(need_rollup.households_in_need, 0) - coalesce(need_rollup.households_in_need_served, 0)
            as gap_households,
        coalesce(need_rollup.decile_1_households_in_need, 0) as decile_1_households_in_need,
        coalesce(need_rollup.decile_1_households_in_need_served, 0) as decile_1_households_in_need_served,
        coalesce(need_rollup.decile_1_households_in_need, 0)
            - coalesce(need_rollup.decile_1_households_in_need_served, 0) as decile_1_gap_households,
        coalesce(need_rollup.households_reached, 0) as households_reached,
        coalesce(spend_rollup.deliveries, 0) as deliveries,
        {%- for source in var('funding_sources') %}
        coalesce(spend_rollup.spend_{{ slug(source) }}_rp, 0) as spend_{{ slug(source) }}_rp,
        {%- endfor %}
        coalesce(spend_rollup.spend_total_rp, 0) as spend_total_rp,
    from grid
    left join need_rollup
        on grid.reporting_year = need_rollup.reporting_year
        and grid.sector = need_rollup.sector
        and grid.region_level = need_rollup.region_level
        and grid.kemendagri_code = need_rollup.kemendagri_code
    left join spend_rollup
        on grid.reporting_year = spend_rollup.reporting_year
        and grid.sector = spend_rollup.sector
        and grid.region_level = spend_rollup.region_level
        and grid.kemendagri_code = spend_rollup.kemendagri_code
),

ranked as (
    select
        *,
        {{ ratio('gap_households', 'households_in_need') }} as gap_rate,
        {{ ratio('decile_1_gap_households', 'decile_1_households_in_need') }} as decile_1_gap_rate,
        rank() over (
            partition by reporting_year, region_level
            order by decile_1_gap_households desc, gap_households desc
        ) as priority_rank,
        rank() over (
            partition by reporting_year, region_level, sector
            order by decile_1_gap_households desc, gap_households desc
        ) as priority_rank_in_sector,
        rank() over (
            partition by reporting_year, region_level, kemendagri_code
            order by decile_1_gap_households desc, gap_households desc
        ) as sector_rank_in_region,
    from joined
)

select * from ranked
