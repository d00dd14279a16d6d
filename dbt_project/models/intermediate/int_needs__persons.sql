-- Members meeting a member criterion of the need rules (seed need_rules, criterion_on = 'member'), per
-- reporting year: one row per (reporting_year, idartbdt, need_code). The rule logic is the macro
-- member_need_matches, the members and their ages the macro persons_by_reporting_year. A view:
-- int_needs__households aggregates it per household in one pass.
{{ config(materialized='view') }}

with

persons as (
    {{ persons_by_reporting_year() }}
),

matches as (
    {{ member_need_matches('persons') }}
),

rules as (
    select distinct need_code, need_level, sector from {{ ref('stg_reference__need_rules') }}
),

final as (
    select
        matches.reporting_year,
        matches.idartbdt,
        matches.household_sk,
        matches.need_code,
        rules.need_level,
        rules.sector,
    from matches
    inner join rules
        on matches.need_code = rules.need_code
)

select * from final
