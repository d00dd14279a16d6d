with

source as (
    select * from {{ source('wilayah', 'wilayah_villages') }}
),

renamed as (
    select
        trim(village_code) as desa_kemendagri_code,
        trim(district_code) as kecamatan_kemendagri_code,
        trim(regency_code) as kabupaten_kemendagri_code,
        nullif(trim(bps_code), '') as desa_bps_code,
        trim(name) as desa_name,
        trim(bps_name) as desa_bps_name,
        lower(trim(type)) as desa_type,
        trim(bps_match_method) as bps_match_method,
    from source
)

select * from renamed
