"""The phone check: the shape of a number and the words around it (a cue before, a line's
kind after, an item's word or maths that make it no phone's), in the languages the cues
are listed in; and a Chinese mobile number inside Chinese text, which needs no cue.
"""

from __future__ import annotations

import re

from hybridroute.privacy import checksums
from hybridroute.privacy.identifier_checks import any_of, context_before
from hybridroute.privacy.matching import CJK_CHAR


def phone(match: re.Match[str], text: str, lowered: str) -> float | None:
    """A phone number: 7 to 15 digits, not a date, an SSN or a decimal; one in a phone's own
    shape ("+", brackets, an extension, NANP, a grouped trunk "0") needs no cue."""
    number = match["num"]
    digits = checksums.digits_of(number)
    if not 7 <= len(digits) <= 15 or _NOT_PHONE.fullmatch(number):
        return None
    strong = (
        number.startswith(("+", "("))
        or "(" in number
        or match["ext"] is not None
        or _NANP.fullmatch(number) is not None
        or (number.startswith("0") and len(_PHONE_SEP.findall(number)) >= 2)
    )
    if not number.startswith("+") and context_before(lowered, match.start(), _ITEM_NUMBER, 40):
        return None  # "Serial number on my dishwasher is 2319 0487 11", "Part number 123-45-678"
    if not text.isascii() and context_before(lowered, match.start(), _CJK_ITEM_NUMBER, 12):
        return None  # "发票号码：04400190" an invoice's number, "订单号…"
    before = context_before(lowered, match.start(), _PHONE_CONTEXT)
    after = _PHONE_AFTER.search(lowered, match.end(), match.end() + 12) is not None
    in_context = before or after
    if strong:
        return 1.0 if in_context else 0.85
    if in_context:
        return 0.85
    if _CHINESE_MOBILE.fullmatch(number) and _among_cjk(text, match.start(), match.end()):
        # A Chinese mobile number needs no cue inside Chinese text ("张伟，13957284163，
        # 北京市…", a shop's copied address), unless an item's number is meant.
        counted = text[match.end() : match.end() + 2].strip()[:1] in _CJK_COUNTERS
        maths = context_before(lowered, match.start(), _MATHS, 12) or _MATHS.search(
            text, match.end(), match.end() + 12
        )
        if not counted and not maths and not context_before(lowered, match.start(), _ID_BEFORE, 12):
            return 0.85
    return None


def _among_cjk(text: str, start: int, end: int) -> bool:
    """A CJK character within three characters before `start` or after `end`."""
    return CJK_CHAR.search(text, max(0, start - 3), min(len(text), end + 3)) is not None


PHONE_WORDS = (
    "phone",
    "tel",
    "call",
    "mobile",
    "cell",
    "fax",
    "desk",
    "office",
    "reach",
    "text me",
    "sms",
    "whatsapp",
    "contact",
    "number",
    "messages to",
    "answering at",
    "dial",
    "ring",
    # German, Dutch, French, Spanish, Portuguese, Italian, Polish ("Erreichbar bin ich unter
    # 0170 14517734"); "telefon", "teléfono", "cellulare" already hold an English word.
    "erreichbar",
    "handynummer",
    "anrufen",
    "ruf mich",
    "rufnummer",
    "bereikbaar",
    "bellen",
    "mobiel",
    "joindre",
    "portable",
    "appelle",
    "appeler",
    "llamar",
    "llámame",
    "llámeme",
    "llamada",
    "móvil",
    "movil",
    "celular",
    "ligue",
    "chiama",
    "zadzwo",
    "komórk",
    # Chinese, Japanese and Korean: phone, mobile, contact, call me, WeChat (a phone number
    # there), "携帯" mobile, "連絡先" contact, "연락처" contact, "휴대폰"/"핸드폰" mobile.
    "电话",
    "電話",
    "手机",
    "手機",
    "联系",
    "聯繫",
    "聯絡",
    "致电",
    "微信",
    "携帯",
    "連絡先",
    "연락처",
    "전화",
    "휴대폰",
    "핸드폰",
    "号码",
    "號碼",
    "拨打",
    "撥打",
    "座机",
    "座機",
    "打给",
    "打給",
)
PHONE_AFTER_WORDS = ("office", "fax", "mobile", "cell", "home", "work")

_PHONE_SEP = re.compile(r"[ .-]")
_NANP = re.compile(r"(?:\+?1[ .-]?)?\(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4}")
# Dates, SSN-shaped and dotted-quad numbers are not phones (other recognizers own them).
_NOT_PHONE = re.compile(
    r"\d{4}[-.]\d{1,2}[-.]\d{1,2}|\d{1,2}[-.]\d{1,2}[-.]\d{4}|\d{3}-\d{2}-\d{4}"
    r"|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|\d+\.\d+"  # and decimals ("0.998638")
)
_PHONE_CONTEXT = any_of(PHONE_WORDS)
# A Chinese mobile number: 1, then 3-9, then nine digits (as written: together or 3-4-4).
_CHINESE_MOBILE = re.compile(r"1[3-9]\d(?:[ -]?\d{4}){2}")
# Counters after a number: people, yuan, times, points, items, units, metres, grams, hundred
# millions, years, months, days (not 张 or 万: they open names too, "13957284163张伟").
_CJK_COUNTERS = frozenset("人元次分点點個个位名件台米克斤亿億年月日天")
# Chinese words for an item's number (order, waybill, tracking, serial, product, model, staff
# and student numbers, invoice, contract, transaction, batch, error code, log): a number that
# is no phone's.
_CJK_ITEM_NUMBER = re.compile(
    "订单|訂單|单号|單號|运单|運單|快递|快遞|物流|编号|編號|货号|貨號|型号|型號|工号|工號|学号|學號"
    "|发票|發票|合同|流水|批次|错误码|錯誤碼|日志|日誌"
)
# Maths around a number: compute, prove, solve, factor before it; prime, factor, remainder,
# divided by, times, squared after it ("求13579246801的所有质因数").
_MATHS = re.compile(
    "计算|計算|证明|證明|求证|求證|求解|分解|质|質|因数|因數|余数|餘數|除以|乘以|平方"
)
# An id before a Chinese mobile-shaped number with no cue ("用户UID：13957284163").
_ID_BEFORE = re.compile(r"(?<![a-z])u?id\b")
# A number that names a thing, not a line: serial, part, order… numbers.
_ITEM_NUMBER = re.compile(
    r"\b(?:serial|part|model|order|invoice|ticket|case|tracking|reference|ref|sku|item|article"
    r"|product|batch|lot|build|version)\s*(?:number|no\.?|nr\.?|#)?\b"
)
_PHONE_AFTER = any_of(PHONE_AFTER_WORDS)
