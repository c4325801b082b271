"""National identifiers: resident ID numbers (GB 11643) and unified social credit codes (GB 32100)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

from matcher.config import pii_key

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def id_check_digit(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits of a resident ID number."""
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS)) % 11]


def parse_id_number(text: str) -> tuple[str, date, str]:
    """Validate an 18-character resident ID number; return it normalised, the birth date and sex (M/F).

    Raises ValueError saying which part is wrong (length, characters, birth date, check digit).
    """
    s = text.strip().upper()
    if len(s) != 18:
        raise ValueError(f"身份证号应为 18 位，这里是 {len(s)} 位：请核对后重填")
    if not s[:17].isdigit() or not (s[17].isdigit() or s[17] == "X"):
        raise ValueError("身份证号应为 17 位数字加 1 位数字或 X：请核对后重填")
    try:
        born = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        raise ValueError(f"身份证号中的出生日期 {s[6:14]} 不是有效日期：请核对第 7—14 位") from None
    if s[17] != id_check_digit(s[:17]):
        raise ValueError("身份证号校验位不对（GB 11643）：可能输错了某一位，请逐位核对")
    return s, born, "M" if int(s[16]) % 2 else "F"


def hash_id_number(normalised: str) -> str:
    """Keyed hash of an ID number, for look-up without keeping the number itself."""
    return hmac.new(pii_key(), normalised.encode(), hashlib.sha256).hexdigest()


def mask_id_number(normalised: str) -> str:
    """The form shown to people allowed to see it: first four and last four characters."""
    return normalised[:4] + "*" * 10 + normalised[-4:]


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a unified social credit code."""
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS))
    return USCC_CHARS[(31 - total % 31) % 31]


def parse_credit_code(text: str) -> str:
    """Validate an 18-character unified social credit code (统一社会信用代码); return it normalised."""
    s = text.strip().upper()
    if len(s) != 18:
        raise ValueError(f"统一社会信用代码应为 18 位，这里是 {len(s)} 位：请核对后重填")
    bad = sorted({c for c in s if c not in USCC_CHARS})
    if bad:
        raise ValueError(
            f"统一社会信用代码不能含有 {''.join(bad)!r}（代码中不用 I、O、S、V、Z）：请核对后重填"
        )
    if not s[2:8].isdigit():
        raise ValueError("统一社会信用代码第 3—8 位是登记机关的行政区划代码，应为数字：请核对后重填")
    if s[17] != uscc_check_char(s[:17]):
        raise ValueError("统一社会信用代码校验位不对（GB 32100）：可能输错了某一位，请逐位核对")
    return s


_REF_ROUNDS = 4


def _ref_round(line_id: int, step: int, half: int) -> int:
    msg = f"candidate:{line_id}:{step}:{half}".encode()
    return int.from_bytes(hmac.new(pii_key(), msg, hashlib.sha256).digest()[:4], "big")


def candidate_ref(line_id: int, worker_id: int) -> str:
    """The name an enterprise knows a candidate by on one line: the worker id under a keyed permutation
    (a Feistel network), so the same person has unrelated references on two lines."""
    if not 0 <= worker_id < 1 << 64:
        raise ValueError(f"worker id out of range: {worker_id}")
    left, right = worker_id >> 32, worker_id & 0xFFFFFFFF
    for step in range(_REF_ROUNDS):
        left, right = right, left ^ _ref_round(line_id, step, right)
    return f"{left:08x}{right:08x}"


def worker_of_ref(line_id: int, ref: str) -> int | None:
    """The worker id behind a candidate reference on this line, or None when `ref` is not one."""
    if len(ref) != 16 or any(c not in "0123456789abcdef" for c in ref):
        return None
    left, right = int(ref[:8], 16), int(ref[8:], 16)
    for step in reversed(range(_REF_ROUNDS)):
        left, right = right ^ _ref_round(line_id, step, left), left
    return (left << 32) | right
