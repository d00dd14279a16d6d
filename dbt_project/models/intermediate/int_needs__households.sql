-- Households with a need, per reporting year: one row per (reporting_year, household, need_code). A
-- household has a need when a household criterion of the need rules holds for it (housing, water,
-- sanitation) or when any of its members meets a member criterion of that need (int_needs__persons:
-- person-level needs such as education, and household needs judged on a member such as economy; the same
-- macros as int_needs__persons, evaluated here directly).
-- members_in_need counts those members: for a person-level need it is the number of eligible persons.
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

-- the member criteria, as in int_needs__persons, keyed by a cheap row number instead of idartbdt
persons as (
    select
        *,
        row_number() over () as person_row,
    from ({{ persons_by_reporting_year() }})
),

member_matches as (
    {{ member_need_matches('persons', 'person_row') }}
),

need_levels as (
    select distinct need_code, need_level, sector from {{ ref('stg_reference__need_rules') }}
),

household_matches as (
    select distinct
        households.household_sk,
        rules.need_code,
        rules.need_level,
        rules.sector,
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
            or households.luas_lantai / greatest(coalesce(households.jumlah_art, 1), 1)
            < rules.max_floor_m2_per_person
        )
),

household_side as (
    select
        years.reporting_year,
        household_matches.household_sk,
        household_matches.need_code,
        0 as members_in_need,
    from household_matches
    cross join years
),

member_side as (
    select
        reporting_year,
        household_sk,
        need_code,
        count(*) as members_in_need,
    from member_matches
    group by reporting_year, household_sk, need_code
),

-- a need judged both on the household and on its members is merged; the others pass straight through
mixed_needs as (
    select need_code
    from {{ ref('stg_reference__need_rules') }}
    group by need_code
    having count(distinct criterion_on) > 1
),

unioned as (
    select * from household_side
    where need_code not in (select need_code from mixed_needs)
    union all
    select * from member_side
    where need_code not in (select need_code from mixed_needs)
    union all
    select
        reporting_year,
        household_sk,
        need_code,
        sum(members_in_need) as members_in_need,
    from (
        select * from household_side
        union all
        select * from member_side
    )
    where need_code in (select need_code from mixed_needs)
    group by reporting_year, household_sk, need_code
),

final as (
    select
        unioned.reporting_year,
        unioned.household_sk,
        unioned.need_code,
        need_levels.need_level,
        need_levels.sector,
        unioned.members_in_need::integer as members_in_need,
    from unioned
    inner join need_levels
        on unioned.need_code = need_levels.need_code
)

select * from final
