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

deliveries as (
    select * from {{ ref('int_interventions__deliveries_matched') }}
),

person_needs as (
    select * from {{ ref('int_needs__persons') }}
    where need_level = 'person'
),

household_needs as (
    select * from {{ ref('int_needs__households') }}
    where need_level = 'household'
),

-- eligible units per need, counted per desa and decile before any programme is attached
eligible_units as (
    select reporting_year, need_code, 'person' as unit_level, idbdt, idartbdt as unit_id
    from person_needs
    union all
    select reporting_year, need_code, 'household' as unit_level, idbdt, idbdt as unit_id
    from household_needs
),

eligible_by_need as (
    select
        eligible_units.reporting_year,
        eligible_units.need_code,
        eligible_units.unit_level,
        households.kabupaten_kemendagri_code,
        households.kecamatan_kemendagri_code,
        households.desa_kemendagri_code,
        households.decile,
        count(*) as units_eligible,
    from eligible_units
    inner join households
        on eligible_units.idbdt = households.idbdt
    group by all
),

-- BDT units reached by each programme, flagged eligible or not
reached_units as (
    select distinct
        reporting_year,
        programme_code,
        need_code,
        target_level as unit_level,
        matched_idbdt as idbdt,
        case when target_level = 'person' then matched_idartbdt else matched_idbdt end as unit_id,
    from deliveries
    where matched_idbdt is not null
        and (target_level = 'household' or matched_idartbdt is not null)
),

reached_by_programme as (
    select
        reached_units.reporting_year,
        reached_units.programme_code,
        households.kabupaten_kemendagri_code,
        households.kecamatan_kemendagri_code,
        households.desa_kemendagri_code,
        households.decile,
        count(*) as units_reached,
        count(eligible_units.unit_id) as units_eligible_reached,
    from reached_units
    inner join households
        on reached_units.idbdt = households.idbdt
    left join eligible_units
        on reached_units.reporting_year = eligible_units.reporting_year
        and reached_units.need_code = eligible_units.need_code
        and reached_units.unit_level = eligible_units.unit_level
        and reached_units.unit_id = eligible_units.unit_id
    group by all
),

programme_units as (
    select
        coalesce(e.reporting_year, r.reporting_year) as reporting_year,
        'programme' as scope,
        coalesce(e.programme_code, r.programme_code) as programme_code,
        coalesce(e.kabupaten_kemendagri_code, r.kabupaten_kemendagri_code) as kabupaten_kemendagri_code,
        coalesce(e.kecamatan_kemendagri_code, r.kecamatan_kemendagri_code) as kecamatan_kemendagri_code,
        coalesce(e.desa_kemendagri_code, r.desa_kemendagri_code) as desa_kemendagri_code,
        coalesce(e.decile, r.decile) as decile,
        coalesce(e.units_eligible, 0) as units_eligible,
        coalesce(r.units_reached, 0) as units_reached,
        coalesce(r.units_eligible_reached, 0) as units_eligible_reached,
    from (
        select eligible_by_need.*, programmes.programme_code
        from eligible_by_need
        inner join programmes
            on eligible_by_need.need_code = programmes.need_code
            and eligible_by_need.unit_level = programmes.target_level
    ) as e
    full outer join reached_by_programme as r
        on e.reporting_year = r.reporting_year
        and e.programme_code = r.programme_code
        and e.kabupaten_kemendagri_code is not distinct from r.kabupaten_kemendagri_code
        and e.kecamatan_kemendagri_code is not distinct from r.kecamatan_kemendagri_code
        and e.desa_kemendagri_code is not distinct from r.desa_kemendagri_code
        and e.decile is not distinct from r.decile
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

-- beneficiaries where they were delivered; counted distinct at each level
beneficiaries as (
    select
        reporting_year,
        programme_code,
        sector,
        kabupaten_kemendagri_code,
        kecamatan_kemendagri_code,
        located_desa_kemendagri_code as desa_kemendagri_code,
        beneficiary_key,
        household_key,
        is_in_bdt,
    from deliveries
),

targeting_rollup as (
    select
        reporting_year,
        'programme' as scope,
        programme_code,
        {{ region_level_columns() }},
        'all' as decile,
        count(distinct beneficiary_key) as beneficiaries,
        count(distinct beneficiary_key) filter (where is_in_bdt) as beneficiaries_in_bdt,
        count(distinct beneficiary_key) filter (where not is_in_bdt) as beneficiaries_outside_bdt,
    from beneficiaries
    group by {{ region_grouping_sets(['reporting_year', 'programme_code']) }}
    union all
    select
        reporting_year,
        'sector' as scope,
        sector as programme_code,
        {{ region_level_columns() }},
        'all' as decile,
        -- a sector's beneficiaries are households: BDT households, outside the BDT one per NIK (else per delivery)
        count(distinct household_key) as beneficiaries,
        count(distinct household_key) filter (where is_in_bdt) as beneficiaries_in_bdt,
        count(distinct household_key) filter (where not is_in_bdt) as beneficiaries_outside_bdt,
    from beneficiaries
    group by {{ region_grouping_sets(['reporting_year', 'sector']) }}
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
