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

-- two steps instead of count(distinct ...) over grouping sets: first one row per beneficiary and kab/kota
per_beneficiary as (
    select
        reporting_year,
        programme_code,
        funding_source,
        agency,
        kabupaten_kemendagri_code,
        beneficiary_id,
        bool_or(is_in_bdt) as is_in_bdt,
        bool_or(coalesce(decile = 1, false)) as is_decile_1,
        count(*) as deliveries,
        count(*) filter (where flag_deceased_beneficiary) as deliveries_to_deceased,
        coalesce(sum(amount_rp), 0) as amount_rp,
    from deliveries
    group by all
),

kabupaten_rows as (
    select
        reporting_year,
        programme_code,
        funding_source,
        agency,
        'kabupaten' as region_level,
        kabupaten_kemendagri_code as kemendagri_code,
        sum(deliveries) as deliveries,
        count(*) as beneficiaries,
        count(*) filter (where is_in_bdt) as beneficiaries_in_bdt,
        count(*) filter (where not is_in_bdt) as beneficiaries_outside_bdt,
        count(*) filter (where is_decile_1) as beneficiaries_decile_1,
        sum(deliveries_to_deceased) as deliveries_to_deceased,
        sum(amount_rp) as amount_rp,
    from per_beneficiary
    group by all
),

province_rows as (
    select
        reporting_year,
        programme_code,
        funding_source,
        agency,
        'province' as region_level,
        '{{ var("province_code") }}' as kemendagri_code,
        sum(deliveries) as deliveries,
        count(*) as beneficiaries,
        count(*) filter (where is_in_bdt) as beneficiaries_in_bdt,
        count(*) filter (where not is_in_bdt) as beneficiaries_outside_bdt,
        count(*) filter (where is_decile_1) as beneficiaries_decile_1,
        sum(deliveries_to_deceased) as deliveries_to_deceased,
        sum(amount_rp) as amount_rp,
    from (
        select
            reporting_year,
            programme_code,
            funding_source,
            agency,
            beneficiary_id,
            bool_or(is_in_bdt) as is_in_bdt,
            bool_or(is_decile_1) as is_decile_1,
            sum(deliveries) as deliveries,
            sum(deliveries_to_deceased) as deliveries_to_deceased,
            sum(amount_rp) as amount_rp,
        from per_beneficiary
        group by all
    )
    group by all
),

rolled_up as (
    select * from kabupaten_rows
    union all
    select * from province_rows
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
        rolled_up.deliveries::bigint as deliveries,
        rolled_up.beneficiaries,
        rolled_up.beneficiaries_in_bdt,
        rolled_up.beneficiaries_outside_bdt,
        rolled_up.beneficiaries_decile_1,
        rolled_up.deliveries_to_deceased::bigint as deliveries_to_deceased,
        rolled_up.amount_rp::bigint as amount_rp,
    from rolled_up
    inner join regions
        on rolled_up.region_level = regions.region_level
        and rolled_up.kemendagri_code = regions.kemendagri_code
    left join programmes
        on rolled_up.programme_code = programmes.kode_program
)

select * from final
