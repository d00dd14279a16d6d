"""The three demo scales: how many households, which kabupaten/kota, how many deliveries.

`province` is the real size of Lampung's BDT (877,905 households, Simnangkis Saburai, 2017). The smaller
scales keep the same shapes so tests run in seconds; `tiny` takes one rural kabupaten whose BPS and
Kemendagri codes differ (Lampung Barat: BPS 1801, Kemendagri 18.04) and one kota (Metro), so the
code-system trap is exercised even there.
"""

from dataclasses import dataclass

PROVINCE_HOUSEHOLDS = 877_905
PROVINCE_PEOPLE = 3_206_269


@dataclass(frozen=True)
class Scale:
    """One scale of the demo."""

    name: str
    households: int
    regencies: tuple[str, ...] | None  # Kemendagri regency codes; None = all 15

    @property
    def delivery_factor(self) -> float:
        """Deliveries scale with the BDT: province volumes times this."""
        return self.households / PROVINCE_HOUSEHOLDS


SCALES: dict[str, Scale] = {
    "tiny": Scale("tiny", 300, ("1804", "1872")),
    "small": Scale("small", 20_000, None),
    "province": Scale("province", PROVINCE_HOUSEHOLDS, None),
}
