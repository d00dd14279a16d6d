{#-
  The member criteria of the need rules (seed need_rules, parsed in stg_reference__need_rules), applied to a
  relation of members with their age in a reporting year. One place for the rule logic: int_needs__persons
  applies it to every member, decile_coverage to the members that a programme reached.

  `persons` must provide: reporting_year, idartbdt, household_sk, age, sta_keberadaan_art, jnskel, hub_krt,
  sta_kawin, partisipasi_sekolah, jenis_cacat, lapangan_usaha, sta_hamil, sta_bekerja, ada_kip, ada_pbi.
  A criterion fires when every non-empty parameter holds; unknown yes/no items count as "no"; a missing
  presence status counts as present. Returns one row per (reporting_year, <person_key>, need_code), where
  person_key names the column identifying a member (idartbdt, or a cheaper integer row key).
-#}
{% macro member_need_matches(persons, person_key='idartbdt') -%}
    select distinct
        persons.reporting_year,
        persons.{{ person_key }},
        persons.household_sk,
        rules.need_code,
    from {{ persons }} as persons
    inner join (
        select * from {{ ref('stg_reference__need_rules') }}
        where criterion_on = 'member'
    ) as rules
        on (rules.member_status_codes is null
            or list_contains(rules.member_status_codes, coalesce(persons.sta_keberadaan_art, 1)))
        and (rules.age_min is null or persons.age >= rules.age_min)
        and (rules.age_max is null or persons.age <= rules.age_max)
        and (rules.jnskel_codes is null or list_contains(rules.jnskel_codes, persons.jnskel))
        and (rules.hub_krt_codes is null or list_contains(rules.hub_krt_codes, persons.hub_krt))
        and (rules.sta_kawin_codes is null or list_contains(rules.sta_kawin_codes, persons.sta_kawin))
        and (rules.partisipasi_sekolah_codes is null
            or list_contains(rules.partisipasi_sekolah_codes, persons.partisipasi_sekolah))
        and (rules.jenis_cacat_codes is null or list_contains(rules.jenis_cacat_codes, persons.jenis_cacat))
        and (rules.lapangan_usaha_codes is null
            or list_contains(rules.lapangan_usaha_codes, persons.lapangan_usaha))
        and (rules.sta_hamil is null or coalesce(persons.sta_hamil, false) = rules.sta_hamil)
        and (rules.sta_bekerja is null or coalesce(persons.sta_bekerja, false) = rules.sta_bekerja)
        and (rules.ada_kip is null or coalesce(persons.ada_kip, false) = rules.ada_kip)
        and (rules.ada_pbi is null or coalesce(persons.ada_pbi, false) = rules.ada_pbi)
{%- endmacro %}

{#- The members of landed BDT households with their household_sk, in every reporting year, with the age in
    that year and the fields the member criteria use: the input of member_need_matches. -#}
{% macro persons_by_reporting_year(individuals_relation=none) -%}
    select
        years.reporting_year,
        individuals.idartbdt,
        households.household_sk,
        {{ age_in_year('years.reporting_year', 'individuals.birth_year', 'individuals.birthday_after_reference_day', 'individuals.age_at_enumeration') }} as age,
        individuals.sta_keberadaan_art,
        individuals.jnskel,
        individuals.hub_krt,
        individuals.sta_kawin,
        individuals.partisipasi_sekolah,
        individuals.jenis_cacat,
        individuals.lapangan_usaha,
        individuals.sta_hamil,
        individuals.sta_bekerja,
        individuals.ada_kip,
        individuals.ada_pbi,
    from {{ individuals_relation or ref('stg_bdt__individuals') }} as individuals
    inner join {{ ref('int_bdt__households') }} as households
        on individuals.idbdt = households.idbdt
    cross join {{ ref('int_reporting_years') }} as years
{%- endmacro %}
