-- Intervention summary for the LP2KD reports: deliveries, beneficiaries and rupiah per reporting year,
-- programme, funding source and agency (OPD), for the province and for each kab/kota where delivered.
with

regions as (
    select * from {{ ref('int_regions') }}
    where region_level in ('province', 'kabupaten')
),

programmes as (
    select * from {{ ref('programme_catalogue') }}
),

deliveries as (
    select * from {{ ref('int_interventions__deliveries_matched') }}
),

rolled_up as (
    select
        reporting_year,
        programme_code,
        funding_source,
        agency,
        case when grouping(kabupaten_kemendagri_code) = 0 then 'kabupaten' else 'province' end as region_level,
        case
            when grouping(kabupaten_kemendagri_code) = 0 then kabupaten_kemendagri_code
            else '{{ var("province_code") }}'
        end as kemendagri_code,
        count(*) as deliveries,
        count(distinct beneficiary_key) as beneficiaries,
        count(distinct beneficiary_key) filter (where is_in_bdt) as beneficiaries_in_bdt,
        count(distinct beneficiary_key) filter (where not is_in_bdt) as beneficiaries_outside_bdt,
        count(distinct beneficiary_key) filter (where decile = 1) as beneficiaries_decile_1,
        count(*) filter (where flag_deceased_beneficiary) as deliveries_to_deceased,
        coalesce(sum(amount_rp), 0)::bigint as amount_rp,
    from deliveries
    group by grouping sets (
        (reporting_year, programme_code, funding_source, agency),
        (reporting_year, programme_code, funding_source, agency, kabupaten_kemendagri_code)
    )
),

final as (
    select
        rolled_up.reporting_year,
        rolled_up.region_level,
        rolled_up.kemendagri_code,
        regions.bps_code,
        regions.region_name,
        rolled_up.programme_code,
        programmes.nama_program as programme_name,
        programmes.sector,
        programmes.target_level,
        rolled_up.funding_source,
        rolled_up.agency,
        rolled_up.deliveries,
        rolled_up.beneficiaries,
        rolled_up.beneficiaries_in_bdt,
        rolled_up.beneficiaries_outside_bdt,
        rolled_up.beneficiaries_decile_1,
        rolled_up.deliveries_to_deceased,
        rolled_up.amount_rp,
    from rolled_up
    inner join regions
        on rolled_up.region_level = regions.region_level
        and rolled_up.kemendagri_code = regions.kemendagri_code
    left join programmes
        on rolled_up.programme_code = programmes.kode_program
)

select * from final
