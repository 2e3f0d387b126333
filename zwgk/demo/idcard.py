"""Resident ID numbers (GB 11643-1999): check digit, validation and the usual masking."""

from __future__ import annotations

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_digit(first17: str) -> str:
    """The 18th character for the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("需要 17 位数字")
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def make_id(region: str, birth: str, seq: int) -> str:
    """A checksum-valid ID: 6-digit region + YYYYMMDD + 3-digit sequence + check digit."""
    first17 = f"{region}{birth}{seq:03d}"
    return first17 + check_digit(first17)


def is_valid(number: str) -> bool:
    """True for an 18-character ID whose check digit is right."""
    number = number.upper()
    return len(number) == 18 and number[:17].isdigit() and check_digit(number[:17]) == number[17]


def mask(number: str) -> str:
    """Keep the first and last four characters: 370406**********1234 style (4 + 10 stars + 4)."""
    return number[:4] + "*" * 10 + number[-4:]
