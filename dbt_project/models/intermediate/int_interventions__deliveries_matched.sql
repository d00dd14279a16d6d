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
    select household_sk, idbdt, decile from {{ ref('int_bdt__households') }}
),

-- one integer per NIK hash delivered to (no sort needed: the ids only have to be distinct)
niks as (
    select
        nik_hash,
        row_number() over () as nik_id,
    from (select distinct nik_hash from deliveries where nik_hash is not null)
),

individuals_by_nik as (
    select
        individuals.nik_hash,
        arg_min(
            {'idartbdt': individuals.idartbdt, 'household_sk': households.household_sk},
            (not individuals.is_present, individuals.idartbdt)
        ) as member,
    from {{ ref('stg_bdt__individuals') }} as individuals
    inner join households
        on individuals.idbdt = households.idbdt
    semi join deliveries
        on individuals.nik_hash = deliveries.nik_hash
    group by individuals.nik_hash
),

joined as (
    select
        deliveries._source_file,
        deliveries._source_row,
        deliveries.reporting_year,
        deliveries.programme_code,
        deliveries.funding_source,
        deliveries.agency,
        deliveries.desa_kemendagri_code,
        deliveries.amount_rp,
        deliveries.flag_deceased_beneficiary,
        deliveries.nik_hash,
        niks.nik_id,
        programmes.sector,
        programmes.need_code,
        programmes.target_level,
        villages.kecamatan_kemendagri_code,
        coalesce(villages.kabupaten_kemendagri_code, regencies.kabupaten_kemendagri_code)
            as kabupaten_kemendagri_code,
        households.household_sk as household_sk_by_id,
        individuals_by_nik.member.household_sk as household_sk_by_nik,
        individuals_by_nik.member.idartbdt as idartbdt_by_nik,
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
    left join niks
        on deliveries.nik_hash = niks.nik_hash
),

matched as (
    select
        *,
        coalesce(household_sk_by_id, household_sk_by_nik) as matched_household_sk,
        case
            when household_sk_by_id is null or household_sk_by_nik = household_sk_by_id then idartbdt_by_nik
        end as matched_idartbdt,
        case
            when household_sk_by_id is not null then 'idbdt'
            when household_sk_by_nik is not null then 'nik'
            else 'none'
        end as match_method,
    from joined
),

-- who received it, as one integer per beneficiary (distinct ids = distinct beneficiaries): a type offset
-- plus a number. Types: art = the BDT member the NIK identifies (person programmes), bdt = the BDT household
-- (household programmes), nik = the NIK alone (outside the BDT, or a member the NIK does not place in the
-- matched household), row = no valid NIK (each delivery its own beneficiary).
keyed as (
    select
        matched.*,
        case
            when matched.target_level = 'person' and matched.matched_idartbdt is not null then 'art'
            when matched.target_level <> 'person' and matched.matched_household_sk is not null then 'bdt'
            when matched.nik_id is not null then 'nik'
            else 'row'
        end as beneficiary_type,
        row_number() over () as delivery_number,
    from matched
),

final as (
    select
        keyed._source_file,
        keyed._source_row,
        keyed.reporting_year,
        keyed.programme_code,
        keyed.sector,
        keyed.need_code,
        keyed.target_level,
        keyed.funding_source,
        keyed.agency,
        keyed.desa_kemendagri_code,
        case
            when keyed.kecamatan_kemendagri_code is not null then keyed.desa_kemendagri_code
        end as located_desa_kemendagri_code,
        keyed.kecamatan_kemendagri_code,
        keyed.kabupaten_kemendagri_code,
        keyed.amount_rp,
        keyed.flag_deceased_beneficiary,
        keyed.match_method,
        keyed.matched_household_sk,
        keyed.matched_idartbdt,
        keyed.matched_household_sk is not null as is_in_bdt,
        households.decile,
        keyed.beneficiary_type,
        case keyed.beneficiary_type
            when 'art' then keyed.nik_id
            when 'bdt' then 1000000000000 + keyed.matched_household_sk
            when 'nik' then 2000000000000 + keyed.nik_id
            else 3000000000000 + keyed.delivery_number
        end::bigint as beneficiary_id,
    from keyed
    left join households
        on keyed.matched_household_sk = households.household_sk
)

select * from final
