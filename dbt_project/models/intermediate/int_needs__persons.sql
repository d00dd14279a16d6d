-- Members meeting a member criterion of the need rules (seed need_rules, criterion_on = 'member'), per
-- reporting year: one row per (reporting_year, idartbdt, need_code). A criterion fires when every non-empty
-- parameter of its seed row holds; yes/no items that are unknown count as "no". Holds the person-level
-- needs (education, health, disability, employment) and the member criteria of household needs (economy).
with

rules as (
    select * from {{ ref('stg_reference__need_rules') }}
    where criterion_on = 'member'
),

ages as (
    select * from {{ ref('int_bdt__person_ages') }}
),

individuals as (
    select * from {{ ref('stg_bdt__individuals') }}
),

persons as (
    select
        ages.reporting_year,
        ages.idartbdt,
        ages.idbdt,
        ages.age,
        coalesce(individuals.sta_keberadaan_art, 1) as sta_keberadaan_art,
        individuals.jnskel,
        individuals.hub_krt,
        individuals.sta_kawin,
        individuals.partisipasi_sekolah,
        individuals.jenis_cacat,
        individuals.lapangan_usaha,
        coalesce(individuals.sta_hamil, false) as sta_hamil,
        coalesce(individuals.sta_bekerja, false) as sta_bekerja,
        coalesce(individuals.ada_kip, false) as ada_kip,
        coalesce(individuals.ada_pbi, false) as ada_pbi,
    from ages
    inner join individuals
        on ages.idartbdt = individuals.idartbdt
),

matches as (
    select
        persons.reporting_year,
        persons.idartbdt,
        persons.idbdt,
        rules.need_code,
        rules.need_level,
        rules.sector,
        rules.criterion_code,
    from persons
    inner join rules
        on (rules.member_status_codes is null or list_contains(rules.member_status_codes, persons.sta_keberadaan_art))
        and (rules.age_min is null or persons.age >= rules.age_min)
        and (rules.age_max is null or persons.age <= rules.age_max)
        and (rules.jnskel_codes is null or list_contains(rules.jnskel_codes, persons.jnskel))
        and (rules.hub_krt_codes is null or list_contains(rules.hub_krt_codes, persons.hub_krt))
        and (rules.sta_kawin_codes is null or list_contains(rules.sta_kawin_codes, persons.sta_kawin))
        and (
            rules.partisipasi_sekolah_codes is null
            or list_contains(rules.partisipasi_sekolah_codes, persons.partisipasi_sekolah)
        )
        and (rules.jenis_cacat_codes is null or list_contains(rules.jenis_cacat_codes, persons.jenis_cacat))
        and (rules.lapangan_usaha_codes is null or list_contains(rules.lapangan_usaha_codes, persons.lapangan_usaha))
        and (rules.sta_hamil is null or persons.sta_hamil = rules.sta_hamil)
        and (rules.sta_bekerja is null or persons.sta_bekerja = rules.sta_bekerja)
        and (rules.ada_kip is null or persons.ada_kip = rules.ada_kip)
        and (rules.ada_pbi is null or persons.ada_pbi = rules.ada_pbi)
),

final as (
    select
        reporting_year,
        idartbdt,
        idbdt,
        need_code,
        need_level,
        sector,
        list(criterion_code order by criterion_code) as criteria,
    from matches
    group by all
)

select * from final
