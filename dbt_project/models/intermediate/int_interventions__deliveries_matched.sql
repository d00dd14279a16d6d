-- Every delivery with its programme (sector, need, target level), where it was delivered (Kemendagri desa,
-- kecamatan, kab/kota) and whom it reached in the BDT. Matching: by idbdt when the delivery carries one that
-- exists in the BDT, else by nik_hash against BDT members (a NIK held by several members resolves to one:
-- present members first, then the smallest idartbdt). The person is kept only when they belong to the
-- matched household. A delivery that matches nothing is kept: its beneficiary is outside the BDT.
with

deliveries as (
    select * from {{ ref('stg_interventions__deliveries') }}
),

programmes as (
    select * from {{ ref('programme_catalogue') }}
),

villages as (
    select * from {{ ref('stg_wilayah__villages') }}
),

regencies as (
    select * from {{ ref('stg_wilayah__regencies') }}
),

households as (
    select idbdt, decile from {{ ref('int_bdt__households') }}
),

individuals_by_nik as (
    select
        individuals.nik_hash,
        individuals.idartbdt,
        individuals.idbdt,
    from {{ ref('stg_bdt__individuals') }} as individuals
    inner join households
        on individuals.idbdt = households.idbdt
    where individuals.nik_hash is not null
    qualify row_number() over (
        partition by individuals.nik_hash
        order by individuals.is_present desc, individuals.idartbdt
    ) = 1
),

joined as (
    select
        deliveries.*,
        programmes.sector,
        programmes.need_code,
        programmes.target_level,
        villages.kecamatan_kemendagri_code,
        coalesce(villages.kabupaten_kemendagri_code, regencies.kabupaten_kemendagri_code)
            as kabupaten_kemendagri_code,
        households.idbdt as idbdt_by_id,
        individuals_by_nik.idbdt as idbdt_by_nik,
        individuals_by_nik.idartbdt as idartbdt_by_nik,
    from deliveries
    left join programmes
        on deliveries.programme_code = programmes.kode_program
    left join villages
        on deliveries.desa_kemendagri_code = villages.desa_kemendagri_code
    left join regencies
        on left(deliveries.desa_kemendagri_code, 4) = regencies.kabupaten_kemendagri_code
    left join households
        on deliveries.idbdt = households.idbdt
    left join individuals_by_nik
        on deliveries.nik_hash = individuals_by_nik.nik_hash
),

matched as (
    select
        *,
        coalesce(idbdt_by_id, idbdt_by_nik) as matched_idbdt,
        case
            when idbdt_by_id is null or idbdt_by_nik = idbdt_by_id then idartbdt_by_nik
        end as matched_idartbdt,
        case
            when idbdt_by_id is not null then 'idbdt'
            when idbdt_by_nik is not null then 'nik'
            else 'none'
        end as match_method,
    from joined
),

final as (
    select
        matched.delivery_id,
        matched.reporting_year,
        matched.programme_code,
        matched.sector,
        matched.need_code,
        matched.target_level,
        matched.funding_source,
        matched.agency,
        matched.desa_kemendagri_code,
        case
            when matched.kecamatan_kemendagri_code is not null then matched.desa_kemendagri_code
        end as located_desa_kemendagri_code,
        matched.kecamatan_kemendagri_code,
        matched.kabupaten_kemendagri_code,
        matched.delivery_date,
        matched.amount_rp,
        matched.unit,
        matched.flag_deceased_beneficiary,
        matched.nik_hash,
        matched.match_method,
        matched.matched_idbdt,
        matched.matched_idartbdt,
        matched.matched_idbdt is not null as is_in_bdt,
        households.decile,
        case
            when matched.target_level = 'person'
                then coalesce('art:' || matched.matched_idartbdt, 'nik:' || matched.nik_hash, 'row:' || matched.delivery_id)
            else coalesce('bdt:' || matched.matched_idbdt, 'nik:' || matched.nik_hash, 'row:' || matched.delivery_id)
        end as beneficiary_key,
        coalesce('bdt:' || matched.matched_idbdt, 'nik:' || matched.nik_hash, 'row:' || matched.delivery_id)
            as household_key,
    from matched
    left join households
        on matched.matched_idbdt = households.idbdt
)

select * from final
