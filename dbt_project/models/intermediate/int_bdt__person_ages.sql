-- Age of every BDT member of a landed household on the reference day (1 July, vars age_reference_month/day)
-- of each reporting year: from the birth date where there is one and it gives an age of 0-120, else Umur
-- (the age on 1 July 2015, the PBDT 2015 reference date) plus the years since 2015.
{{ config(materialized='view') }}

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

candidates as (
    select
        years.reporting_year,
        individuals.idartbdt,
        individuals.idbdt,
        years.reporting_year - individuals.birth_year
            - case when individuals.birthday_after_reference_day then 1 else 0 end as age_from_birth_date,
        individuals.age_at_enumeration + (years.reporting_year - {{ var('bdt_base_year') }}) as age_from_umur,
    from individuals
    inner join households
        on individuals.idbdt = households.idbdt
    cross join years
),

aged as (
    select
        reporting_year,
        idartbdt,
        idbdt,
        case
            when age_from_birth_date between 0 and 120 then age_from_birth_date
            when age_from_umur between 0 and 120 then age_from_umur
        end as age,
        case
            when age_from_birth_date between 0 and 120 then 'birth_date'
            when age_from_umur between 0 and 120 then 'umur'
            else 'unknown'
        end as age_source,
    from candidates
)

select * from aged
