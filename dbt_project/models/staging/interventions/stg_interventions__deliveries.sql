-- Cleartext nik and nama stay in schema raw: beneficiaries are identified by nik_hash and idbdt.
with

source as (
    select * from {{ source('interventions', 'interventions') }}
),

renamed as (
    select
        _source_file || '#' || _source_row::varchar as delivery_id,
        coalesce(tahun, report_year) as reporting_year,
        tahun,
        report_year,
        kode_program as programme_code,
        sumber_dana as funding_source,
        sumber_dana_raw as funding_source_raw,
        opd as agency,
        kode_wilayah as desa_kemendagri_code,
        nik_hash,
        nik_valid,
        nullif(trim(idbdt), '') as idbdt,
        tanggal as delivery_date,
        nilai_rp as amount_rp,
        satuan as unit,
        flag_deceased_beneficiary,
        _source_file,
        _source_row,
    from source
)

select * from renamed
