-- Members meeting a member criterion of the need rules (seed need_rules, criterion_on = 'member'), per
-- reporting year: one row per (reporting_year, idartbdt, need_code). The rule logic is the macro
-- member_need_matches. A view: int_needs__households aggregates it per household in one pass.
{{ config(materialized='view') }}

with

ages as (
    select * from {{ ref('int_bdt__person_ages') }}
),

individuals as (
    select * from {{ ref('stg_bdt__individuals') }}
),

persons as (
    select
        ages.reporting_year,
        ages.age,
        individuals.*,
    from ages
    inner join individuals
        on ages.idartbdt = individuals.idartbdt
),

matches as (
    {{ member_need_matches('persons') }}
)

select * from matches
