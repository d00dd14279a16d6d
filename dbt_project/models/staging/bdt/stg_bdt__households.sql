-- Cleartext nama_krt, alamat and nokk stay in schema raw: only the hash of the KK number is exposed.
with

source as (
    select * from {{ source('bdt', 'bdt_households') }}
),

renamed as (
    select
        idbdt,
        bps_desa_code,
        kdprop || kdkab || kdkec as bps_kecamatan_code,
        kdprop || kdkab as bps_kabupaten_code,
        nokk_hash,
        nokk_valid,
        jumlah_art,
        jumlah_keluarga,
        sta_bangunan,
        luas_lantai,
        lantai,
        dinding,
        kondisi_dinding,
        atap,
        kondisi_atap,
        jumlah_kamar,
        sumber_airminum,
        sumber_penerangan,
        bb_masak,
        fasbab,
        ada_tabung_gas,
        ada_lemari_es,
        ada_motor,
        sta_kks,
        sta_kip,
        sta_kis,
        sta_pkh,
        sta_rastra,
        percentile,
        status_kesejahteraan as decile,
        _source_file,
        _source_row,
    from source
)

select * from renamed
