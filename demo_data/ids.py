"""NIK and KK numbers built like Dukcapil's, unique by construction.

NIK = Kemendagri kecamatan of first registration (6) + DDMMYY of birth, day + 40 for women (6) + serial (4).
KK number = kecamatan (6) + DDMMYY of issue (6) + serial (4). Serials of BDT members count from 0001 within
each (kecamatan, date) prefix; people outside the BDT (intervention leakage) count from 5001, so a fresh
NIK can never collide with a BDT member's.
"""

import numpy as np

from demo_data.sampling import group_rank

BDT_SERIAL_START = 1
OUTSIDER_SERIAL_START = 5001


def date_parts(dates: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Day, month, year of a datetime64[D] array."""
    months = dates.astype("datetime64[M]")
    day = (dates - months.astype("datetime64[D]")).astype(np.int64) + 1
    month = months.astype(np.int64) % 12 + 1
    year = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    return day, month, year


def numbers(kec6: np.ndarray, dates: np.ndarray, female: np.ndarray, serial_start: int) -> np.ndarray:
    """16-digit numbers (int64) with a serial unique within each (kecamatan, date) prefix."""
    day, month, year = date_parts(dates)
    prefix = kec6.astype(np.int64) * 1_000_000 + (day + 40 * female) * 10_000 + month * 100 + year % 100
    serial = group_rank(prefix) + serial_start
    if serial.size and serial.max() > 9999:
        raise ValueError("NIK serial overflow: more than 9,999 people share a kecamatan and birth date")
    return prefix * 10_000 + serial
