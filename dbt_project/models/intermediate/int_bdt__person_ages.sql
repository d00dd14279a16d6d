-- Age of every BDT member of a landed household on the reference day (1 July, vars age_reference_month/day)
-- of each reporting year: from the birth date where there is one and it gives an age of 0-120, else Umur
-- (the age on 1 July 2015, the PBDT 2015 reference date) plus the years since 2015 (macro age_in_year).
{{ config(materialized='view') }}

with

individuals as (
    select * from {{ ref('stg_bdt__individuals') }}
),

households as (
    select household_sk, idbdt from {{ ref('int_bdt__households') }}
),

years as (
    select reporting_year from {{ ref('int_reporting_years') }}
),

aged as (
    select
        years.reporting_year,
        individuals.idartbdt,
        individuals.idbdt,
        households.household_sk,
        {{ age_in_year('years.reporting_year', 'individuals.birth_year', 'individuals.birthday_after_reference_day', 'individuals.age_at_enumeration') }} as age,
        {{ age_source_in_year('years.reporting_year', 'individuals.birth_year', 'individuals.birthday_after_reference_day', 'individuals.age_at_enumeration') }} as age_source,
    from individuals
    inner join households
        on individuals.idbdt = households.idbdt
    cross join years
)

select * from aged
