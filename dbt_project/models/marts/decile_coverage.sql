-- Coverage and targeting accuracy: one row per reporting year, region, scope (a programme, or a whole
-- sector) and decile ('1'..'4', or 'all'). Rows exist where there is something to count.
--  * Coverage counts BDT units at their residence: persons for person-level programmes, households for
--    household-level programmes and for sectors. Eligible = has the programme's need (sector: any need of
--    the sector); reached = received the programme (sector: any programme of the sector) in the year.
--  * Targeting accuracy (decile 'all' rows only) counts beneficiaries where they were delivered:
--    beneficiaries outside the BDT are the leakage (the BDT holds deciles I-IV only, so "above decile IV"
--    can only be seen as "outside the BDT").
with

regions as (
    select * from {{ ref('int_regions') }}
),

programmes as (
    select
        kode_program as programme_code,
        nama_program as programme_name,
        sector,
        need_code,
        target_level,
    from {{ ref('programme_catalogue') }}
),

households as (
    select * from {{ ref('int_bdt__households') }}
),

household_needs as (
    select * from {{ ref('int_needs__households') }}
),

deliveries as (
    select * from {{ ref('int_interventions__deliveries_matched') }}
),

-- eligible units per need, desa and decile: for a person-level need the members in need, else households
eligible_by_need as (
    select
        household_needs.reporting_year,
        household_needs.need_code,
        household_needs.need_level as unit_level,
        households.kabupaten_kemendagri_code,
        households.kecamatan_kemendagri_code,
        households.desa_kemendagri_code,
        households.decile,
        sum(case when household_needs.need_level = 'person' then household_needs.members_in_need else 1 end)
            as units_eligible,
    from household_needs
    inner join households
        on household_needs.household_sk = households.household_sk
    group by all
),

-- BDT units reached by each programme: members for person-level programmes (when the NIK identified the
-- member), households otherwise
reached_units as (
    select distinct
        reporting_year,
        programme_code,
        need_code,
        target_level,
        matched_household_sk as household_sk,
        case when target_level = 'person' then matched_idartbdt end as idartbdt,
    from deliveries
    where matched_household_sk is not null
        and (target_level = 'household' or matched_idartbdt is not null)
),

-- the members reached by a person-level programme, with their age in that year, for the need rules
reached_individuals as (
    select individuals.*
    from {{ ref('stg_bdt__individuals') }} as individuals
    semi join reached_units
        on individuals.idartbdt = reached_units.idartbdt
        and reached_units.target_level = 'person'
),

reached_persons as (
    {{ persons_by_reporting_year('reached_individuals') }}
),

reached_person_needs as (
    {{ member_need_matches('reached_persons') }}
),

reached_flagged as (
    select
        reached_units.*,
        coalesce(reached_person_needs.need_code, household_needs.need_code) is not null as is_eligible,
    from reached_units
    left join reached_person_needs
        on reached_units.target_level = 'person'
        and reached_units.reporting_year = reached_person_needs.reporting_year
        and reached_units.idartbdt = reached_person_needs.idartbdt
        and reached_units.need_code = reached_person_needs.need_code
    left join household_needs
        on reached_units.target_level = 'household'
        and reached_units.reporting_year = household_needs.reporting_year
        and reached_units.household_sk = household_needs.household_sk
        and reached_units.need_code = household_needs.need_code
),

programme_units as (
    select
        eligible_by_need.reporting_year,
        'programme' as scope,
        programmes.programme_code,
        eligible_by_need.kabupaten_kemendagri_code,
        eligible_by_need.kecamatan_kemendagri_code,
        eligible_by_need.desa_kemendagri_code,
        eligible_by_need.decile,
        eligible_by_need.units_eligible,
        0 as units_reached,
        0 as units_eligible_reached,
    from eligible_by_need
    inner join programmes
        on eligible_by_need.need_code = programmes.need_code
        and eligible_by_need.unit_level = programmes.target_level
    union all
    select
        reached_flagged.reporting_year,
        'programme' as scope,
        reached_flagged.programme_code,
        households.kabupaten_kemendagri_code,
        households.kecamatan_kemendagri_code,
        households.desa_kemendagri_code,
        households.decile,
        0 as units_eligible,
        count(*) as units_reached,
        count(*) filter (where reached_flagged.is_eligible) as units_eligible_reached,
    from reached_flagged
    inner join households
        on reached_flagged.household_sk = households.household_sk
    group by all
),

sector_units as (
    select
        reporting_year,
        'sector' as scope,
        sector as programme_code,
        kabupaten_kemendagri_code,
        kecamatan_kemendagri_code,
        desa_kemendagri_code,
        decile,
        count(*) filter (where is_in_need) as units_eligible,
        count(*) filter (where is_reached) as units_reached,
        count(*) filter (where is_in_need and is_reached) as units_eligible_reached,
    from {{ ref('int_coverage__household_sectors') }}
    group by all
),

coverage_rollup as (
    select
        reporting_year,
        scope,
        programme_code,
        {{ region_level_columns() }},
        case when grouping(decile) = 1 then 'all' else coalesce(decile::varchar, 'unknown') end as decile,
        sum(units_eligible) as units_eligible,
        sum(units_reached) as units_reached,
        sum(units_eligible_reached) as units_eligible_reached,
        coalesce(sum(units_eligible - units_eligible_reached) filter (where decile = 1), 0) as decile_1_excluded,
    from (
        select * from programme_units
        union all
        select * from sector_units
    )
    group by grouping sets (
        {%- for keys in [[], ['kabupaten_kemendagri_code'],
                         ['kabupaten_kemendagri_code', 'kecamatan_kemendagri_code'],
                         ['kabupaten_kemendagri_code', 'kecamatan_kemendagri_code', 'desa_kemendagri_code']] %}
        {%- for d in [[], ['decile']] %}
        ({{ (['reporting_year', 'scope', 'programme_code'] + keys + d) | join(', ') }}){% if not loop.last %},{% endif %}
        {%- endfor %}{% if not loop.last %},{% endif %}
        {%- endfor %}
    )
),

-- beneficiaries where they were delivered, once per region level: a programme's beneficiaries are its
-- beneficiary_id; a sector's are households (the BDT household, outside the BDT the beneficiary_id)
delivered as (
    select
        reporting_year,
        programme_code,
        sector,
        is_in_bdt,
        beneficiary_id,
        case when is_in_bdt then matched_household_sk else beneficiary_id end as household_id,
        unnest([
            {'region_level': 'province', 'kemendagri_code': '{{ var("province_code") }}'},
            {'region_level': 'kabupaten', 'kemendagri_code': kabupaten_kemendagri_code},
            {'region_level': 'kecamatan', 'kemendagri_code': kecamatan_kemendagri_code},
            {'region_level': 'desa', 'kemendagri_code': located_desa_kemendagri_code}
        ]) as region,
    from deliveries
),

programme_beneficiaries as (
    select distinct
        reporting_year,
        'programme' as scope,
        programme_code,
        region.region_level,
        region.kemendagri_code,
        beneficiary_id,
        is_in_bdt,
    from delivered
    where region.kemendagri_code is not null
),

sector_beneficiaries as (
    select distinct
        reporting_year,
        'sector' as scope,
        sector as programme_code,
        region.region_level,
        region.kemendagri_code,
        household_id as beneficiary_id,
        is_in_bdt,
    from delivered
    where region.kemendagri_code is not null
),

targeting_rollup as (
    select
        reporting_year,
        scope,
        programme_code,
        region_level,
        kemendagri_code,
        'all' as decile,
        count(*) as beneficiaries,
        count(*) filter (where is_in_bdt) as beneficiaries_in_bdt,
        count(*) filter (where not is_in_bdt) as beneficiaries_outside_bdt,
    from (
        select * from programme_beneficiaries
        union all
        select * from sector_beneficiaries
    )
    group by all
),

combined as (
    select
        coalesce(c.reporting_year, t.reporting_year) as reporting_year,
        coalesce(c.scope, t.scope) as scope,
        coalesce(c.programme_code, t.programme_code) as programme_code,
        coalesce(c.region_level, t.region_level) as region_level,
        coalesce(c.kemendagri_code, t.kemendagri_code) as kemendagri_code,
        coalesce(c.decile, t.decile) as decile,
        coalesce(c.units_eligible, 0) as units_eligible,
        coalesce(c.units_reached, 0) as units_reached,
        coalesce(c.units_eligible_reached, 0) as units_eligible_reached,
        coalesce(c.decile_1_excluded, 0) as decile_1_excluded,
        t.beneficiaries,
        t.beneficiaries_in_bdt,
        t.beneficiaries_outside_bdt,
    from coverage_rollup as c
    full outer join targeting_rollup as t
        on c.reporting_year = t.reporting_year
        and c.scope = t.scope
        and c.programme_code = t.programme_code
        and c.region_level = t.region_level
        and c.kemendagri_code = t.kemendagri_code
        and c.decile = t.decile
),

final as (
    select
        combined.reporting_year,
        regions.region_level,
        regions.kemendagri_code,
        regions.bps_code,
        regions.region_name,
        regions.parent_kemendagri_code,
        regions.kabupaten_kemendagri_code,
        regions.kabupaten_bps_code,
        regions.kabupaten_name,
        combined.scope,
        case when combined.scope = 'programme' then programmes.sector else combined.programme_code end as sector,
        case when combined.scope = 'programme' then combined.programme_code end as programme_code,
        programmes.programme_name,
        programmes.need_code,
        case when combined.scope = 'programme' then programmes.target_level else 'household' end as unit_level,
        combined.decile,
        combined.units_eligible,
        combined.units_reached,
        combined.units_eligible_reached,
        combined.units_reached - combined.units_eligible_reached as units_reached_not_eligible,
        combined.units_eligible - combined.units_eligible_reached as units_eligible_unreached,
        {{ ratio('combined.units_eligible_reached', 'combined.units_eligible') }} as coverage_rate,
        combined.decile_1_excluded,
        combined.beneficiaries,
        combined.beneficiaries_in_bdt,
        combined.beneficiaries_outside_bdt,
        {{ ratio('combined.beneficiaries_outside_bdt', 'combined.beneficiaries') }} as leakage_rate,
    from combined
    inner join regions
        on combined.region_level = regions.region_level
        and combined.kemendagri_code = regions.kemendagri_code
    left join programmes
        on combined.scope = 'programme'
        and combined.programme_code = programmes.programme_code
    where combined.programme_code is not null
)

select * from final
