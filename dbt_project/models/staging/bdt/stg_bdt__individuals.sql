-- Cleartext nik, nokk, nama, tmplahir and tgllahir (and the *_raw spellings) stay in schema raw. The birth
-- date is reduced to what the age on the reference day of a reporting year needs (its year, and whether the
-- birthday falls after the reference day); NIK and KK numbers are exposed as hashes only.
with

source as (
    select * from {{ source('bdt', 'bdt_individuals') }}
),

renamed as (
    select
        idartbdt,
        idbdt,
        nik_hash,
        nik_valid,
        nokk_hash,
        nokk_valid,
        jnskel,
        year(tgllahir) as birth_year,
        (month(tgllahir), day(tgllahir))
            > ({{ var('age_reference_month') }}, {{ var('age_reference_day') }}) as birthday_after_reference_day,
        umur as age_at_enumeration,
        hub_krt,
        sta_kawin,
        sta_hamil,
        jenis_cacat,
        penyakit_kronis,
        partisipasi_sekolah,
        pendidikan_tertinggi,
        sta_bekerja,
        lapangan_usaha,
        status_pekerjaan,
        sta_keberadaan_art,
        coalesce(sta_keberadaan_art, 1) in ({{ var('present_member_codes') | join(', ') }}) as is_present,
        ada_kks,
        ada_pbi,
        ada_kip,
        ada_pkh,
        _source_file,
        _source_row,
    from source
)

select * from renamed
