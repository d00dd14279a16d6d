with

source as (
    select * from {{ source('wilayah', 'wilayah_districts') }}
),

renamed as (
    select
        trim(district_code) as kecamatan_kemendagri_code,
        trim(regency_code) as kabupaten_kemendagri_code,
        nullif(trim(bps_code), '') as kecamatan_bps_code,
        trim(name) as kecamatan_name,
        trim(bps_name) as kecamatan_bps_name,
    from source
)

select * from renamed
