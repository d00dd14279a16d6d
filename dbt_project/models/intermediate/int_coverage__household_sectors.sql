-- One row per (reporting_year, BDT household, sector) where the household is in need in the sector (any
-- need of the sector) or was reached by any programme of the sector in that year (a delivery matched to the
-- household or to one of its members). Located at the household's BDT residence.
with

needs as (
    select
        reporting_year,
        household_sk,
        sector,
        true as is_in_need,
        false as is_reached,
        members_in_need,
    from {{ ref('int_needs__households') }}
),

reached as (
    select
        reporting_year,
        matched_household_sk as household_sk,
        sector,
        false as is_in_need,
        true as is_reached,
        0 as members_in_need,
    from {{ ref('int_interventions__deliveries_matched') }}
    where matched_household_sk is not null
),

households as (
    select * from {{ ref('int_bdt__households') }}
),

combined as (
    select
        reporting_year,
        household_sk,
        sector,
        bool_or(is_in_need) as is_in_need,
        bool_or(is_reached) as is_reached,
        sum(members_in_need)::integer as members_in_need,
    from (
        select * from needs
        union all
        select * from reached
    )
    group by reporting_year, household_sk, sector
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
