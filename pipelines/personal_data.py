"""Which columns hold personal data: defined once for the UI previews, publishing's refusal and the docs.

Cleartext identity (NIK and KK numbers as typed, names, addresses, place and date of birth) stays in schema
`raw`, except into schema `restricted` (docs/architecture.md). The keyed pseudonyms and BDT ids are not
cleartext but still single out a household or a person, so BI never gets them either.
"""

# Landed cleartext: never shown in a Dagster preview, never published for BI.
CLEARTEXT_COLUMNS = frozenset(
    {"nik", "nik_raw", "nokk", "nokk_raw", "nama", "nama_krt", "alamat", "tmplahir", "tgllahir"}
)
# Pseudonyms and ids of one household or person: fine inside the warehouse, not in a BI mart.
PERSON_KEYS = frozenset({"nik_hash", "nokk_hash", "idbdt", "idartbdt"})
# Other spellings of the same data that a model or a delivery might introduce.
OTHER_SPELLINGS = frozenset({"no_kk", "nomor_kk", "nama_art", "nama_penerima", "tanggal_lahir"})
# Prefixes that are personal whatever follows (`alamat_lengkap`, `nik_raw_2`); `nik_valid` is not.
PERSONAL_PREFIXES = ("nik_raw", "nokk_raw", "alamat", "tgllahir", "tmplahir")

NOT_FOR_BI = CLEARTEXT_COLUMNS | PERSON_KEYS | OTHER_SPELLINGS


def not_for_bi(column: str) -> bool:
    """A column name BI must never receive."""
    name = column.lower()
    return name in NOT_FOR_BI or name.startswith(PERSONAL_PREFIXES)
