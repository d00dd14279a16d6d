-- One row per (reporting_year, BDT household, sector) where the household is in need in the sector (any
-- need of the sector) or was reached by any programme of the sector that year (a delivery matched to the
-- household or to one of its members). Located at the household's BDT residence.
with

needs as (
    select
        reporting_year,
        idbdt,
        sector,
        list_sort(list_distinct(list(need_code))) as need_codes,
        sum(members_in_need)::integer as members_in_need,
    from {{ ref('int_needs__households') }}
    group by reporting_year, idbdt, sector
),

reached as (
    select
        reporting_year,
        matched_idbdt as idbdt,
        sector,
        list_sort(list_distinct(list(programme_code))) as programme_codes,
        count(*) as deliveries,
        sum(amount_rp)::bigint as amount_rp,
    from {{ ref('int_interventions__deliveries_matched') }}
    where matched_idbdt is not null
    group by reporting_year, matched_idbdt, sector
),

households as (
    select * from {{ ref('int_bdt__households') }}
),

combined as (
    select
        coalesce(needs.reporting_year, reached.reporting_year) as reporting_year,
        coalesce(needs.idbdt, reached.idbdt) as idbdt,
        coalesce(needs.sector, reached.sector) as sector,
        needs.idbdt is not null as is_in_need,
        reached.idbdt is not null as is_reached,
        needs.need_codes,
        coalesce(needs.members_in_need, 0) as members_in_need,
        reached.programme_codes,
        coalesce(reached.deliveries, 0) as deliveries,
        coalesce(reached.amount_rp, 0) as amount_rp,
    from needs
    full outer join reached
        on needs.reporting_year = reached.reporting_year
        and needs.idbdt = reached.idbdt
        and needs.sector = reached.sector
),

final as (
    select
        combined.*,
        households.decile,
        households.desa_kemendagri_code,
        households.kecamatan_kemendagri_code,
        households.kabupaten_kemendagri_code,
    from combined
    inner join households
        on combined.idbdt = households.idbdt
)

select * from final
