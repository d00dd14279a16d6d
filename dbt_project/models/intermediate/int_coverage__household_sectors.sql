-- One row per (reporting_year, BDT household, sector) where the household is in need in the sector (any
-- need of the sector) or was reached by any programme of the sector in that year (a delivery matched to the
-- household or to one of its members). Located at the household's BDT residence.
with

needs as (
    select
        reporting_year,
        household_sk,
        sector,
        sum(members_in_need)::integer as members_in_need,
    from {{ ref('int_needs__households') }}
    group by all
),

reached as (
    select distinct
        reporting_year,
        matched_household_sk as household_sk,
        sector,
    from {{ ref('int_interventions__deliveries_matched') }}
    where matched_household_sk is not null
),

households as (
    select * from {{ ref('int_bdt__households') }}
),

combined as (
    select
        coalesce(needs.reporting_year, reached.reporting_year) as reporting_year,
        coalesce(needs.household_sk, reached.household_sk) as household_sk,
        coalesce(needs.sector, reached.sector) as sector,
        needs.household_sk is not null as is_in_need,
        reached.household_sk is not null as is_reached,
        coalesce(needs.members_in_need, 0) as members_in_need,
    from needs
    full outer join reached
        on needs.reporting_year = reached.reporting_year
        and needs.household_sk = reached.household_sk
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
        on combined.household_sk = households.household_sk
)

select * from final
