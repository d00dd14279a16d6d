with

source as (
    select * from {{ source('ikd', 'ikd') }}
),

renamed as (
    select
        ikd_year,
        kode_desa_bps as desa_bps_code,
        aspek_1,
        aspek_2,
        aspek_3,
        aspek_4,
        aspek_5,
        ikd as ikd_score,
        status as ikd_status,
        case status
            when 'Tertinggal' then 1
            when 'Kurang Berkembang' then 2
            when 'Berkembang' then 3
            when 'Maju' then 4
        end as ikd_status_order,
        _source_file,
        _source_row,
    from source
)

select * from renamed
