-- Village priority: one row per reporting year and desa/kelurahan of the reference. Composite priority
-- (documented in _marts__models.yml): IKD class first (Tertinggal, Kurang Berkembang, Berkembang, Maju,
-- unscored), then within a class a need score = mean of the percent ranks (among all desa that year) of the
-- decile-I share of the population and of the decile-I households with an unmet sector need; ties by the
-- lower IKD score, then the code. The top round(380 x desa scored by the IKD / 2,632) are flagged.
with

desa as (
    select * from {{ ref('int_regions') }}
    where region_level = 'desa'
),

years as (
    select * from {{ ref('int_reporting_years') }}
),

poverty as (
    select * from {{ ref('poverty_by_region') }}
    where region_level = 'desa'
),

ikd as (
    select * from {{ ref('stg_ikd__villages') }}
),

household_sectors as (
    select * from {{ ref('int_coverage__household_sectors') }}
    where desa_kemendagri_code is not null
),

deliveries as (
    select * from {{ ref('int_interventions__deliveries_matched') }}
    where located_desa_kemendagri_code is not null
),

per_household as (
    select
        reporting_year,
        desa_kemendagri_code,
        household_sk,
        decile,
        {%- for sector in var('sectors') %}
        count(*) filter (where sector = '{{ sector }}' and is_in_need and not is_reached) as unmet_{{ sector }},
        {%- endfor %}
        count(*) filter (where is_in_need and not is_reached) as unmet_needs,
    from household_sectors
    group by all
),

unmet as (
    select
        reporting_year,
        desa_kemendagri_code,
        {%- for sector in var('sectors') %}
        sum(unmet_{{ sector }}) as unmet_{{ sector }}_households,
        {%- endfor %}
        sum(unmet_needs) as unmet_household_sector_needs,
        count(*) filter (where unmet_needs > 0) as households_with_unmet_need,
        count(*) filter (where unmet_needs > 0 and decile = 1) as decile_1_households_with_unmet_need,
    from per_household
    group by all
),

received as (
    select
        reporting_year,
        located_desa_kemendagri_code as desa_kemendagri_code,
        count(*) as deliveries_received,
        count(distinct beneficiary_id) as beneficiaries_received,
        count(distinct programme_code) as programmes_received,
        coalesce(sum(amount_rp), 0)::bigint as amount_rp_received,
    from deliveries
    group by reporting_year, located_desa_kemendagri_code
),

joined as (
    select
        years.reporting_year,
        desa.kemendagri_code,
        desa.bps_code,
        desa.region_name as desa_name,
        desa.region_type as desa_type,
        desa.kecamatan_kemendagri_code,
        desa.kecamatan_bps_code,
        desa.kecamatan_name,
        desa.kabupaten_kemendagri_code,
        desa.kabupaten_bps_code,
        desa.kabupaten_name,
        years.ikd_year,
        ikd.ikd_score,
        ikd.ikd_status,
        coalesce(ikd.ikd_status_order, 5) as ikd_status_order,
        poverty.population,
        poverty.bdt_households,
        poverty.bdt_households_decile_1,
        poverty.bdt_people,
        poverty.bdt_people_decile_1,
        poverty.share_population_decile_1,
        poverty.share_population_decile_1_4,
        {%- for sector in var('sectors') %}
        coalesce(unmet.unmet_{{ sector }}_households, 0)::bigint as unmet_{{ sector }}_households,
        {%- endfor %}
        coalesce(unmet.unmet_household_sector_needs, 0)::bigint as unmet_household_sector_needs,
        coalesce(unmet.households_with_unmet_need, 0) as households_with_unmet_need,
        coalesce(unmet.decile_1_households_with_unmet_need, 0) as decile_1_households_with_unmet_need,
        coalesce(received.deliveries_received, 0) as deliveries_received,
        coalesce(received.beneficiaries_received, 0) as beneficiaries_received,
        coalesce(received.programmes_received, 0) as programmes_received,
        coalesce(received.amount_rp_received, 0) as amount_rp_received,
    from years
    cross join desa
    left join ikd
        on desa.bps_code = ikd.desa_bps_code
        and years.ikd_year = ikd.ikd_year
    left join poverty
        on years.reporting_year = poverty.reporting_year
        and desa.kemendagri_code = poverty.kemendagri_code
    left join unmet
        on years.reporting_year = unmet.reporting_year
        and desa.kemendagri_code = unmet.desa_kemendagri_code
    left join received
        on years.reporting_year = received.reporting_year
        and desa.kemendagri_code = received.desa_kemendagri_code
),

scored as (
    select
        *,
        (
            percent_rank() over (partition by reporting_year order by coalesce(share_population_decile_1, 0))
            + percent_rank() over (partition by reporting_year order by decile_1_households_with_unmet_need)
        ) / 2 as need_score,
        round(
            {{ var('gerbang_desa_saburai_targets') }}
            * count(ikd_score) over (partition by reporting_year)
            / {{ var('ikd_reference_desa_count') }}
        )::integer as gerbang_desa_saburai_target_count,
    from joined
),

ranked as (
    select
        *,
        row_number() over (
            partition by reporting_year
            order by ikd_status_order, need_score desc, ikd_score nulls last, kemendagri_code
        ) as priority_rank,
    from scored
),

final as (
    select
        *,
        priority_rank <= gerbang_desa_saburai_target_count as gerbang_desa_saburai_target,
    from ranked
)

select * from final
