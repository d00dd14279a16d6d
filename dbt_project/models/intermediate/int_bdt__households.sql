-- BDT households placed in the region hierarchy through their BPS codes: the desa through the crosswalk
-- (stg_wilayah__villages.desa_bps_code); when the desa is not in it (e.g. BPS transmigration units without a
-- Kemendagri code), the kecamatan through its BPS code, else the kabupaten. household_sk is a compact
-- integer key (valid within one build) that the large intermediate tables carry instead of idbdt.
with

households as (
    select * from {{ ref('stg_bdt__households') }}
),

individuals as (
    select * from {{ ref('stg_bdt__individuals') }}
),

villages as (
    select * from {{ ref('stg_wilayah__villages') }}
    where desa_bps_code is not null
),

districts as (
    select * from {{ ref('stg_wilayah__districts') }}
    where kecamatan_bps_code is not null
),

regencies as (
    select * from {{ ref('stg_wilayah__regencies') }}
    where kabupaten_bps_code is not null
),

members as (
    select
        idbdt,
        count(*) as members_listed,
        count(*) filter (where is_present) as members_present,
    from individuals
    group by idbdt
),

located as (
    select
        row_number() over (order by households.idbdt)::integer as household_sk,
        households.idbdt,
        households.decile,
        households.percentile,
        households.bps_desa_code,
        villages.desa_kemendagri_code,
        coalesce(villages.kecamatan_kemendagri_code, districts.kecamatan_kemendagri_code)
            as kecamatan_kemendagri_code,
        coalesce(
            villages.kabupaten_kemendagri_code,
            districts.kabupaten_kemendagri_code,
            regencies.kabupaten_kemendagri_code
        ) as kabupaten_kemendagri_code,
        case
            when villages.desa_kemendagri_code is not null then 'desa'
            when districts.kecamatan_kemendagri_code is not null then 'kecamatan'
            when regencies.kabupaten_kemendagri_code is not null then 'kabupaten'
            else 'none'
        end as located_at,
        households.jumlah_art,
        coalesce(members.members_listed, 0) as members_listed,
        coalesce(members.members_present, 0) as members_present,
        households.luas_lantai,
        households.lantai,
        households.dinding,
        households.kondisi_dinding,
        households.atap,
        households.kondisi_atap,
        households.sumber_airminum,
        households.fasbab,
    from households
    left join villages
        on households.bps_desa_code = villages.desa_bps_code
    left join districts
        on households.bps_kecamatan_code = districts.kecamatan_bps_code
    left join regencies
        on households.bps_kabupaten_code = regencies.kabupaten_bps_code
    left join members
        on households.idbdt = members.idbdt
)

select * from located
