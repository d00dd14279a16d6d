-- The region hierarchy: one row per province, kab/kota, kecamatan and desa/kelurahan, each with its
-- Kemendagri and BPS code, built from the wilayah reference (the only crosswalk between the two systems).
with

regencies as (
    select * from {{ ref('stg_wilayah__regencies') }}
),

districts as (
    select * from {{ ref('stg_wilayah__districts') }}
),

villages as (
    select * from {{ ref('stg_wilayah__villages') }}
),

province as (
    select
        'province' as region_level,
        1 as region_level_order,
        '{{ var("province_code") }}' as kemendagri_code,
        '{{ var("province_code") }}' as bps_code,
        '{{ var("province_name") }}' as region_name,
        'provinsi' as region_type,
        null::varchar as parent_kemendagri_code,
        null::varchar as kabupaten_kemendagri_code,
        null::varchar as kabupaten_bps_code,
        null::varchar as kabupaten_name,
        null::varchar as kecamatan_kemendagri_code,
        null::varchar as kecamatan_bps_code,
        null::varchar as kecamatan_name,
),

kabupaten as (
    select
        'kabupaten' as region_level,
        2 as region_level_order,
        kabupaten_kemendagri_code as kemendagri_code,
        kabupaten_bps_code as bps_code,
        kabupaten_name as region_name,
        kabupaten_type as region_type,
        province_code as parent_kemendagri_code,
        kabupaten_kemendagri_code,
        kabupaten_bps_code,
        kabupaten_name,
        null::varchar as kecamatan_kemendagri_code,
        null::varchar as kecamatan_bps_code,
        null::varchar as kecamatan_name,
    from regencies
),

kecamatan as (
    select
        'kecamatan' as region_level,
        3 as region_level_order,
        districts.kecamatan_kemendagri_code as kemendagri_code,
        districts.kecamatan_bps_code as bps_code,
        districts.kecamatan_name as region_name,
        'kecamatan' as region_type,
        districts.kabupaten_kemendagri_code as parent_kemendagri_code,
        districts.kabupaten_kemendagri_code,
        regencies.kabupaten_bps_code,
        regencies.kabupaten_name,
        districts.kecamatan_kemendagri_code,
        districts.kecamatan_bps_code,
        districts.kecamatan_name,
    from districts
    inner join regencies
        on districts.kabupaten_kemendagri_code = regencies.kabupaten_kemendagri_code
),

desa as (
    select
        'desa' as region_level,
        4 as region_level_order,
        villages.desa_kemendagri_code as kemendagri_code,
        villages.desa_bps_code as bps_code,
        villages.desa_name as region_name,
        villages.desa_type as region_type,
        villages.kecamatan_kemendagri_code as parent_kemendagri_code,
        villages.kabupaten_kemendagri_code,
        regencies.kabupaten_bps_code,
        regencies.kabupaten_name,
        villages.kecamatan_kemendagri_code,
        districts.kecamatan_bps_code,
        districts.kecamatan_name,
    from villages
    inner join districts
        on villages.kecamatan_kemendagri_code = districts.kecamatan_kemendagri_code
    inner join regencies
        on villages.kabupaten_kemendagri_code = regencies.kabupaten_kemendagri_code
),

unioned as (
    select * from province
    union all
    select * from kabupaten
    union all
    select * from kecamatan
    union all
    select * from desa
)

select * from unioned
