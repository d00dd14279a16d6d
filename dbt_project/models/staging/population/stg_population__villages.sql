with

source as (
    select * from {{ source('population', 'population') }}
),

renamed as (
    select
        population_year,
        kode_desa as desa_kemendagri_code,
        jumlah_penduduk as population,
        jumlah_kk as family_cards,
        _source_file,
        _source_row,
    from source
)

select * from renamed
