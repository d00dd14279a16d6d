-- Households with a need, per reporting year: one row per (reporting_year, idbdt, need_code). A household
-- has a need when a household criterion of the need rules holds for it (housing, water, sanitation) or when
-- any of its members meets a member criterion of that need (int_needs__persons: person-level needs such as
-- education, and household needs judged on a member such as economy).
with

rules as (
    select * from {{ ref('stg_reference__need_rules') }}
    where criterion_on = 'household'
),

households as (
    select * from {{ ref('int_bdt__households') }}
),

years as (
    select reporting_year from {{ ref('int_reporting_years') }}
),

person_needs as (
    select * from {{ ref('int_needs__persons') }}
),

household_matches as (
    select
        households.idbdt,
        rules.need_code,
        rules.need_level,
        rules.sector,
        rules.criterion_code,
    from households
    inner join rules
        on (rules.lantai_codes is null or list_contains(rules.lantai_codes, households.lantai))
        and (rules.dinding_codes is null or list_contains(rules.dinding_codes, households.dinding))
        and (
            rules.kondisi_dinding_codes is null
            or list_contains(rules.kondisi_dinding_codes, households.kondisi_dinding)
        )
        and (rules.atap_codes is null or list_contains(rules.atap_codes, households.atap))
        and (rules.kondisi_atap_codes is null or list_contains(rules.kondisi_atap_codes, households.kondisi_atap))
        and (
            rules.sumber_airminum_codes is null
            or list_contains(rules.sumber_airminum_codes, households.sumber_airminum)
        )
        and (rules.fasbab_codes is null or list_contains(rules.fasbab_codes, households.fasbab))
        and (
            rules.max_floor_m2_per_person is null
            or households.luas_lantai / greatest(coalesce(households.jumlah_art, 1), 1) < rules.max_floor_m2_per_person
        )
),

household_side as (
    select
        years.reporting_year,
        household_needs.idbdt,
        household_needs.need_code,
        household_needs.need_level,
        household_needs.sector,
        household_needs.criteria,
        0 as members_in_need,
    from (
        select
            idbdt,
            need_code,
            need_level,
            sector,
            list(criterion_code order by criterion_code) as criteria,
        from household_matches
        group by all
    ) as household_needs
    cross join years
),

member_side as (
    select
        reporting_year,
        idbdt,
        need_code,
        need_level,
        sector,
        list_sort(list_distinct(flatten(list(criteria)))) as criteria,
        count(*) as members_in_need,
    from person_needs
    group by reporting_year, idbdt, need_code, need_level, sector
),

unioned as (
    select * from household_side
    union all by name
    select * from member_side
),

final as (
    select
        reporting_year,
        idbdt,
        need_code,
        need_level,
        sector,
        list_sort(list_distinct(flatten(list(criteria)))) as criteria,
        sum(members_in_need)::integer as members_in_need,
    from unioned
    group by reporting_year, idbdt, need_code, need_level, sector
)

select * from final
