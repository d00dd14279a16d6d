-- The need rules seed with its '|'-separated code lists parsed into integer lists. An empty parameter means
-- "no condition on this field"; a criterion fires when every non-empty parameter holds.
with

source as (
    select * from {{ ref('need_rules') }}
),

parsed as (
    select
        need_code,
        criterion_code,
        sector,
        need_level,
        criterion_on,
        description,
        {%- for col in ['member_status_codes', 'jnskel_codes', 'hub_krt_codes', 'sta_kawin_codes',
                        'partisipasi_sekolah_codes', 'jenis_cacat_codes', 'lapangan_usaha_codes',
                        'lantai_codes', 'dinding_codes', 'kondisi_dinding_codes', 'atap_codes',
                        'kondisi_atap_codes', 'sumber_airminum_codes', 'fasbab_codes'] %}
        case
            when nullif(trim({{ col }}), '') is not null
                then list_transform(string_split(trim({{ col }}), '|'), lambda x: trim(x)::integer)
        end as {{ col }},
        {%- endfor %}
        age_min,
        age_max,
        sta_hamil,
        sta_bekerja,
        ada_kip,
        ada_pbi,
        max_floor_m2_per_person,
    from source
)

select * from parsed
