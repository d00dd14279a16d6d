-- Age of every BDT member of a landed household in each reporting year: from the birth year where it is
-- plausible (born by the enumeration year, at most 120 years before it), else Umur (the age at the 2015
-- enumeration) plus the years since. Age is counted as reporting_year - birth_year (the age reached during
-- the reporting year), which is what Umur + years since 2015 gives as well.
with

individuals as (
    select * from {{ ref('stg_bdt__individuals') }}
),

households as (
    select idbdt from {{ ref('int_bdt__households') }}
),

years as (
    select reporting_year from {{ ref('int_reporting_years') }}
),

aged as (
    select
        years.reporting_year,
        individuals.idartbdt,
        individuals.idbdt,
        case
            when individuals.birth_year between {{ var('bdt_base_year') }} - 120 and {{ var('bdt_base_year') }}
                then years.reporting_year - individuals.birth_year
            when individuals.age_at_enumeration between 0 and 120
                then individuals.age_at_enumeration + (years.reporting_year - {{ var('bdt_base_year') }})
        end as age,
        case
            when individuals.birth_year between {{ var('bdt_base_year') }} - 120 and {{ var('bdt_base_year') }}
                then 'birth_date'
            when individuals.age_at_enumeration between 0 and 120
                then 'umur'
            else 'unknown'
        end as age_source,
    from individuals
    inner join households
        on individuals.idbdt = households.idbdt
    cross join years
)

select * from aged
