-- Reporting years are the intervention years. Each gets the population count and IKD round that apply:
-- the latest one not after the reporting year, else the earliest one there is.
with

deliveries as (
    select * from {{ ref('stg_interventions__deliveries') }}
),

population as (
    select distinct population_year from {{ ref('stg_population__villages') }}
),

ikd as (
    select distinct ikd_year from {{ ref('stg_ikd__villages') }}
),

intervention_years as (
    select distinct reporting_year
    from deliveries
    where reporting_year is not null
),

-- Without any intervention yet, the marts still show the BDT against the latest population count.
fallback_year as (
    select reporting_year
    from (
        select coalesce(max(population_year), {{ var('bdt_base_year') }}) as reporting_year
        from population
    )
    where not exists (select 1 from intervention_years)
),

years as (
    select reporting_year from intervention_years
    union all
    select reporting_year from fallback_year
),

final as (
    select
        years.reporting_year,
        coalesce(
            (select max(p.population_year) from population as p where p.population_year <= years.reporting_year),
            (select min(p.population_year) from population as p)
        ) as population_year,
        coalesce(
            (select max(i.ikd_year) from ikd as i where i.ikd_year <= years.reporting_year),
            (select min(i.ikd_year) from ikd as i)
        ) as ikd_year,
    from years
)

select * from final
