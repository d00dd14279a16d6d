-- RESTRICTED: by name and address. The decile-I and II households with an unmet need in the latest
-- reporting year, one row per household and sector, for the agencies that act on them. Reads the cleartext head's name,
-- address and KK number straight from the landed source (never through staging); built in schema
-- restricted, never published with the BI marts.
with

-- the current list: the latest reporting year
gaps as (
    select * from {{ ref('int_coverage__household_sectors') }}
    where is_in_need
        and not is_reached
        and decile in (1, 2)
        and reporting_year = (select max(reporting_year) from {{ ref('int_reporting_years') }})
),

households as (
    select * from {{ ref('int_bdt__households') }}
),

unmet_needs as (
    select
        needs.reporting_year,
        needs.household_sk,
        needs.sector,
        list(needs.need_code order by needs.need_code) as need_codes,
    from {{ ref('int_needs__households') }} as needs
    semi join gaps
        on needs.reporting_year = gaps.reporting_year
        and needs.household_sk = gaps.household_sk
        and needs.sector = gaps.sector
    group by all
),

named as (
    select
        idbdt,
        nama_krt,
        alamat,
        nokk,
    from {{ source('bdt', 'bdt_households') }}
),

regions as (
    select * from {{ ref('int_regions') }}
    where region_level = 'desa'
),

kabupaten as (
    select * from {{ ref('int_regions') }}
    where region_level = 'kabupaten'
),

kecamatan as (
    select * from {{ ref('int_regions') }}
    where region_level = 'kecamatan'
),

answering as (
    select
        sector,
        list(kode_program order by kode_program) as answering_programmes,
    from {{ ref('programme_catalogue') }}
    group by sector
),

final as (
    select
        gaps.reporting_year,
        gaps.kabupaten_kemendagri_code,
        kabupaten.bps_code as kabupaten_bps_code,
        kabupaten.region_name as kabupaten_name,
        gaps.kecamatan_kemendagri_code,
        kecamatan.bps_code as kecamatan_bps_code,
        kecamatan.region_name as kecamatan_name,
        gaps.desa_kemendagri_code,
        households.bps_desa_code as desa_bps_code,
        regions.region_name as desa_name,
        households.idbdt,
        named.nama_krt,
        named.alamat,
        named.nokk,
        households.decile,
        households.percentile,
        households.members_present,
        gaps.sector,
        unmet_needs.need_codes,
        gaps.members_in_need,
        answering.answering_programmes,
    from gaps
    inner join households
        on gaps.household_sk = households.household_sk
    inner join named
        on households.idbdt = named.idbdt
    left join unmet_needs
        on gaps.reporting_year = unmet_needs.reporting_year
        and gaps.household_sk = unmet_needs.household_sk
        and gaps.sector = unmet_needs.sector
    left join regions
        on gaps.desa_kemendagri_code = regions.kemendagri_code
    left join kecamatan
        on gaps.kecamatan_kemendagri_code = kecamatan.kemendagri_code
    left join kabupaten
        on gaps.kabupaten_kemendagri_code = kabupaten.kemendagri_code
    left join answering
        on gaps.sector = answering.sector
)

select * from final
