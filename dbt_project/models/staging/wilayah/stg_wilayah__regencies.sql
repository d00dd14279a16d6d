with

source as (
    select * from {{ source('wilayah', 'wilayah_regencies') }}
),

renamed as (
    select
        trim(regency_code) as kabupaten_kemendagri_code,
        trim(province_code) as province_code,
        nullif(trim(bps_code), '') as kabupaten_bps_code,
        trim(short_name) as kabupaten_name,
        trim(name) as kabupaten_name_official,
        trim(bps_name) as kabupaten_bps_name,
        lower(trim(type)) as kabupaten_type,
    from source
)

select * from renamed
