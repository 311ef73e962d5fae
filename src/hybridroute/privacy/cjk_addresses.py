"""Street addresses written in Chinese, Japanese and Korean (and Japanese ones in Latin letters).

These scripts write an address from the largest unit to the smallest, with no spaces in
Chinese and Japanese, so the English shape (a house number, then a capitalised street name,
then "Street") never fits. What does identify a home is the small end of the address, and it
has a fixed form in each language:

* Chinese: a road and its number ("体育西路191号", "忠孝東路四段123巷4弄5號"), or a building
  and a flat ("3栋1202室", "5号楼2单元501", "A座1203室");
* Japanese: a block and lot ("西新宿2-8-1", "梅田3丁目1番3号", "123番地");
* Korean: a road and its number after a district ("강남구 테헤란로 152"), a lot after a
  district ("역삼동 123-45"), or a flat ("101동 1202호");
* any of them after an address label ("地址：", "住所：", "주소:").

Each pattern starts at the small end's fixed word or number, so `re` skips to it fast; the
check then walks back over the place names in front of it (road, compound, district) and
forward over the flat's parts. They run only on text with a CJK character (`needs_cjk`),
outside the Hyperscan prefilter, where a CJK character folds to any letter.
"""

from __future__ import annotations

import re

from hybridroute.privacy import identifier_checks as checks
from hybridroute.privacy.entities import EntityType
from hybridroute.privacy.matching import HAN, HANGUL, KANA
from hybridroute.privacy.pattern_recognizer import PatternRecognizer

_SCORE = 0.8


def cjk_address_recognizers() -> tuple[PatternRecognizer, ...]:
    """The recognizers of the forms above; each needs a non-ASCII character in the text."""

    def recognizer(pattern: str, check: object, **options: object) -> PatternRecognizer:
        return PatternRecognizer(
            entity=EntityType.STREET_ADDRESS,
            pattern=re.compile(pattern),
            score=_SCORE,
            check=check,  # type: ignore[arg-type]
            needs_cjk=True,
            **options,  # type: ignore[arg-type]
        )

    return (
        recognizer(_CHINESE_ROAD_NUMBER, _chinese_road, needs_digit=True),
        recognizer(_CHINESE_FLAT, _chinese_flat, needs_digit=True),
        recognizer(_JAPANESE_BLOCK, _japanese_block, needs_digit=True),
        recognizer(_KOREAN_ROAD_NUMBER, _korean_road, needs_digit=True),
        recognizer(_KOREAN_FLAT, _korean_flat, needs_digit=True),
        recognizer(_KOREAN_LOT, _korean_lot, needs_digit=True),
        PatternRecognizer(
            entity=EntityType.STREET_ADDRESS,
            pattern=re.compile(_JAPANESE_IN_LATIN),
            score=_SCORE,
            needs_digit=True,
            not_after=re.compile(r"[\w-]"),
        ),
        recognizer(
            rf"(?:{_ADDRESS_LABELS})[ \t\u3000]*[:\uff1a][ \t\u3000]*",
            _labelled,
            needs_digit=True,
            # Tried only where a label stands (the value is read by the check).
            opener=re.compile(_ADDRESS_LABELS),
        ),
    )


# --- Chinese -------------------------------------------------------------------------------

# The detection view parts a CJK character from a Latin letter or digit with a space
# (`folding.py`): "路191号" reads "路 191 号". So " ?" stands at each such place below.
# A road word ("道" is Hong Kong's), an optional section ("四段"), lanes and alleys
# ("123巷4弄"), the number; or a Shanghai lane's number alone ("七莘路3555弄", its houses
# numbered inside the lane).
_CHINESE_ROAD_NUMBER = (
    r"(?:路|街|道|巷|弄|胡同) ?(?:(?:[一二三四五六七八九十东西南北中東]{1,3}|\d{1,2} ?)段 ?)?"
    r"(?:\d{1,4} ?(?:巷|弄) ?)*\d{1,5} ?(?:号|號|弄)"
)
# A building ("3栋", "5号楼", "A座"), then a unit, a floor and a flat.
_CHINESE_FLAT = (
    r"(?:栋|棟|幢|号楼|號樓|座) ?(?:\d{1,3} ?(?:单元|單元) ?)?(?:\d{1,3} ?(?:层|層|楼|樓) ?)?"
    r"(?:\d{2,5}|[A-Z])(?: ?(?:室|号|號|房))?"
)
# What may follow a road number: a compound's gate, a building's name, its parts, a flat.
# (At most six parts: each match's tail is read once, so the time stays linear in a text
# that repeats "3栋1202室" thousands of times, review 20.)
_CHINESE_TAIL = re.compile(
    rf"(?: ?[{HAN}]{{0,10}}? ?[\dA-Z]{{1,5}} ?"
    r"(?:号院|號院|号楼|號樓|栋|棟|幢|座|单元|單元|层|層|楼|樓|室|号|號|户|戶)"
    r"|之 ?\d{1,3}){1,6}"
)
# Where walking back over a place name stops: verbs and particles that come before an
# address ("住在" live at, "寄到" send to, "地址是" the address is, Cantonese "係" is and
# "喺" at), a year's "年", and Japanese particles. (Not "和" and: it is in place names,
# "浦和", "和歌山".)
_STOP = frozenset("在住到是于於往寄送址的为為从從与與去来來至由给給即係喺年はがをにでへともや")


def _place_start(text: str, end: int, limit: int = 24) -> int:
    """Where the run of Han and kana place names that ends at `end` starts: at most `limit`
    characters back, not past a stop word. A single space may part two names ("新宿区
    西新宿") or stand next to a number (the detection view's, `folding.py`); a number
    counts as a name's part before its unit word ("南1条西", "5号院")."""
    start = end
    while start > 0 and end - start < limit:
        at = start - 1
        if text[at] == " " and at > 0:
            at -= 1
        char = text[at]
        if char.isdigit():
            unit = at + 1 + (text[at + 1 : at + 2] == " ")
            if unit >= end or text[unit] not in _NUMBERED_UNITS:
                break
        elif char in _STOP or not _HAN_OR_KANA.match(char):
            break
        start = at
    while start < end and text[start] == " ":
        start += 1
    return start


# Han and kana but not their punctuation ("・", "゠"); "\u3005" is the repeat mark in "佐々木".
_HAN_OR_KANA = re.compile(rf"[{HAN}{KANA}\u3005]")
# Unit words a number inside a place name comes before ("南1条西7丁目", "5号院3号楼").
_NUMBERED_UNITS = frozenset("条條丁号號院栋棟楼樓")


def _chinese_road(match: re.Match[str], text: str, lowered: str) -> tuple[float, int, int] | None:
    """A road's number, with the road's name in front ("体育西路"; not "302路", a bus line,
    whose number comes first) and the building and flat after."""
    start = _place_start(text, match.start())
    if start == match.start() or (match[0][0] == "道" and text[match.start() - 1] in _NOT_ROADS):
        return None
    if text.startswith("線", match.end()):
        return None  # "国道246号線", a route
    if match[0][-1] == "弄" and not match[0][1:-1].strip().isdigit():
        return None  # "弄" ends a lane's number only after a road word ("路3555弄")
    tail = _CHINESE_TAIL.match(text, match.end())
    return _SCORE, start, tail.end() if tail else match.end()


# Words ending in "道" that are no street: know, taste, report, channel, passage, pipe, track,
# channel, runway, lane, race track, way, path; and Japan's numbered routes (国道 national,
# 県道/府道/都道 prefectural, 市道/町道 municipal, 林道 forest, 農道 farm).
_NOT_ROADS = frozenset("知味报報频頻通管轨軌渠跑车車赛賽人之国県府都市町林農")


def _chinese_flat(match: re.Match[str], text: str, lowered: str) -> tuple[float, int, int] | None:
    """A building's number and a flat in it: "3栋1202室", "5号楼2单元501". A floor and a
    room alone ("3楼301会议室") are not this: the building word comes first."""
    number = _BUILDING_NUMBER.search(text, max(0, match.start() - 5), match.start())
    if number is None:
        return None
    flat = match[0]
    has_unit = "单元" in flat or "單元" in flat
    if not (has_unit or flat[-1] in "室号號房"):
        return None
    if text[match.end() : match.end() + 2].strip()[:1] in _NOT_A_FLAT_AFTER:  # "501 人"
        return None
    start = _place_start(text, number.start())
    if _INSTITUTION.search(text, max(0, start - 8), number.start()):
        return None  # "考场：3号楼201室", "教学楼A座305室": a school's or office's room
    tail = _CHINESE_TAIL.match(text, match.end())
    return _SCORE, start, tail.end() if tail else match.end()


# Buildings and rooms of schools, exams and offices, before a building and room number.
_INSTITUTION = re.compile(
    "教学楼|教學樓|实验楼|實驗樓|办公楼|辦公樓|行政楼|行政樓|考场|考場|考点|考點|教室|会议|會議"
)
_BUILDING_NUMBER = re.compile(r"[\dA-Z]{1,4} ?$")
# A counter after the number: people, yuan, times, minutes, points, seats.
_NOT_A_FLAT_AFTER = frozenset("人元次分点點位名个個")


# --- Japanese ------------------------------------------------------------------------------

# "2丁目8番1号", "3丁目1-3", "2-8-1", "1-2-3-405", "123番地", "1番3号".
# A "丁目" alone ("本町1丁目", a bus stop's name too) is a district, not a home: a lot follows.
_JAPANESE_BLOCK = (
    r"\d{1,4} ?(?:丁目 ?\d{1,4}(?: ?番地?|-)(?: ?\d{1,4}(?: ?号|-\d{1,4})?)?"
    r"|-\d{1,4}-\d{1,4}(?:-\d{1,4})?|番地(?:の? ?\d{1,4})?|番 ?\d{1,4} ?号)"
)
# Units of Japanese addresses: a ward, city, town, village, county or prefecture.
_JAPANESE_ADMIN = re.compile(r"[都道府県市区町村郡]")
_JAPANESE_ROOM = re.compile(r"[ \u3000]?[^\s\d]{0,12}? ?\d{1,5} ?号室")


def _japanese_block(match: re.Match[str], text: str, lowered: str) -> tuple[float, int, int] | None:
    """A block and lot after a place name. The dashed form ("2-8-1") needs a ward, city or
    town in the names before it; "丁目" and "番" say it themselves."""
    start = _place_start(text, match.start())
    if start == match.start() or text[match.end() : match.end() + 1].isdigit():
        return None
    if "丁目" not in match[0] and "番" not in match[0]:
        if not _JAPANESE_ADMIN.search(text, start, match.start()):
            return None
        if match[0].split("-", 1)[0].strip().isdigit() and len(match[0].split("-", 1)[0]) > 3:
            return None  # "统计局2024-01-20": a date (a block number has at most 3 digits)
    room = _JAPANESE_ROOM.match(text, match.end())
    return _SCORE, start, room.end() if room else match.end()


# A Japanese address in Latin letters, as written for mail from abroad: the block and lot
# first, then the district and the city or ward with its suffix ("1-14-6 Kichijoji Honcho,
# Musashino-shi", "2-8-1 Nishi-Shinjuku, Shinjuku-ku"), then the prefecture and postcode.
_JAPANESE_IN_LATIN = (
    r"\d{1,4}-\d{1,4}(?:-\d{1,4})?(?:,? [A-Z][a-z]+(?:[ -][A-Z][a-z]+){0,2}){1,2}"
    r",? [A-Z][a-z]+-(?:shi|ku|cho|machi|gun|mura)\b"
    r"(?:,? [A-Z][a-z]+(?:-(?:to|fu|ken))?)?(?:,? \d{3}-\d{4}(?!\d))?"
)


# --- Korean --------------------------------------------------------------------------------

# A road ("테헤란로", "중앙로123번길") and its number ("152", "45-6").
_KOREAN_ROAD_NUMBER = r"(?:로|길) ?\d{1,4}(?: ?번길 ?\d{1,4})?(?:-\d{1,4})?"
# A flat: building ("동") and number ("호").
_KOREAN_FLAT = r"\d{1,4} ?동 ?\d{1,5} ?호"
# A lot number after a neighbourhood or village ("역삼동 123-45", "신촌리 56번지").
_KOREAN_LOT = r"(?:동|리) ?\d{1,5}(?:-\d{1,5}(?: ?번지)?| ?번지)"
# District words a road or lot comes after: province, city, district, county, town, village.
_DISTRICT_ENDINGS = frozenset("도시구군읍면동")
# Counters after a number, which make it a count, not an address ("로 3번" three times).
_KOREAN_COUNTERS = tuple(
    "번 회 개 명 시 분 초 년 월 일 원 차 등 위 살 대 권 장 잔 병 마리 코스 킬로 미터 점 골 세트 "
    "경기 주 달 배 퍼센트 도 층수 단계 교시 학년 반".split()
)
# A flat after a road's number: its block of flats' name may stand before it.
_KOREAN_FLAT_TAIL = re.compile(
    rf",? ?(?:[{HANGUL}]{{2,12}} )?"
    r"(?:\d{1,4} ?동 ?\d{1,5} ?호|\d{1,3} ?층(?: ?\d{1,5} ?호)?|\d{1,5} ?호)"
)
_KOREAN_WORD_CHAR = re.compile(rf"[{HANGUL}\d]")
_KOREAN_BUILDINGS = ("아파트", "빌라", "맨션", "오피스텔", "타워", "마을", "단지", "빌딩", "하이츠")


def _counted(text: str, end: int) -> bool:
    """A number that goes on, or that a counter follows: a count, not an address."""
    after = text[end + 1 :] if text[end : end + 1] == " " else text[end:]
    return text[end : end + 1].isdigit() or after.startswith(_KOREAN_COUNTERS)


def _districts_before(text: str, start: int) -> int:
    """Where the district words just before `start` begin ("서울특별시 강남구 "), or `start`.
    A district word is short (at most 8 syllables or digits): the walk back stops there, so
    a long run of Hangul before a road costs no more than a short one."""
    begin = start
    for _ in range(3):
        if text[begin - 1 : begin] != " ":
            break
        word_end = begin - 1
        word_start = word_end
        while (
            word_start > 0
            and word_end - word_start < 9
            and _KOREAN_WORD_CHAR.match(text, word_start - 1)
        ):
            word_start -= 1
        if word_end - word_start < 2 or word_end - word_start > 8:
            break
        if word_start > 0 and _KOREAN_WORD_CHAR.match(text, word_start - 1):
            break  # longer than any district word
        if text[word_end - 1] not in _DISTRICT_ENDINGS:
            break
        begin = word_start
    return begin


def _korean_name_start(text: str, end: int) -> int:
    start = end
    while start > 0 and end - start < 12 and _KOREAN_WORD_CHAR.match(text, start - 1):
        start -= 1
    return start


def _korean_road(match: re.Match[str], text: str, lowered: str) -> tuple[float, int, int] | None:
    """A road's number after the road's name and a district ("강남구 테헤란로 152"), or with a
    flat after it; not a count ("서울로 3번"), nor the particle "…으로" (towards)."""
    named = _korean_place(match, text)
    if named is None or text[match.start() - 1] == "으":
        return None
    name_start, start = named
    tail = _KOREAN_FLAT_TAIL.match(text, match.end())
    if start == name_start and tail is None:
        return None
    return _SCORE, start, tail.end() if tail else match.end()


def _korean_place(match: re.Match[str], text: str) -> tuple[int, int] | None:
    """For a road's or a lot's number that is no count: where the road's or neighbourhood's
    name starts, and where the district words before it start (or the name, without any)."""
    if _counted(text, match.end()):
        return None
    name_start = _korean_name_start(text, match.start())
    if name_start == match.start():
        return None
    return name_start, _districts_before(text, name_start)


def _korean_flat(match: re.Match[str], text: str, lowered: str) -> tuple[float, int, int] | None:
    """A building and flat number, with the block of flats' name before it if it has one."""
    if match.start() > 0 and text[match.start() - 1].isdigit():
        return None
    start = match.start()
    if text[start - 1 : start] == " ":
        name_start = _korean_name_start(text, start - 1)
        if text[name_start : start - 1].endswith(_KOREAN_BUILDINGS):
            start = name_start
    return _SCORE, start, match.end()


def _korean_lot(match: re.Match[str], text: str, lowered: str) -> tuple[float, int, int] | None:
    """A lot number after a neighbourhood's name and a district ("강남구 역삼동 123-45")."""
    named = _korean_place(match, text)
    if named is None:
        return None
    name_start, start = named
    if start == name_start and not match[0].endswith("번지"):
        return None
    return _SCORE, start, match.end()


# --- After a label -------------------------------------------------------------------------

# Address fields in Chinese (收货地址 and the like end in 地址), Japanese and Korean.
_ADDRESS_LABELS = "地址|住址|住所|居住地|送り先|届け先|주소|배송지|거주지"
# Where a labelled value ends: a line or sentence end, or the next field's label.
_VALUE = re.compile(r"[^\n\u3002\uff1b;|\uff0c\u3001\uff08(]{2,80}")
_NEXT_FIELD = re.compile(r"[ \t\u3000,\uff0c\u3001/\u30fb]+[^\s:\uff1a,\uff0c/]{1,8}[:\uff1a]")
_CJK_LETTER = re.compile(rf"[{HAN}{KANA}{HANGUL}]")


def _labelled(match: re.Match[str], text: str, lowered: str) -> tuple[float, int, int] | None:
    """The value after an address label, up to the line's or sentence's end or the next
    field: with a number in it, a place's name before its first digit and a unit word of
    an address (not "IP地址：10.0.0.1", "返回地址：栈顶指针减8"). A "，", "、" or bracket
    ends it unless what follows is more of the address ("北京市朝阳区，建国路88号院").
    """
    if checks.postal_label(match, text, lowered) is None:
        return None  # "服务器地址：192.168.1.100" a server's address
    end = _value_end(text, match.end())
    for _ in range(3):
        if text[end : end + 1] not in _PARTS:
            break
        more = _value_end(text, end + 1)
        piece = text[end + 1 : more]
        if not (_ADDRESS_UNIT.search(piece) and any(c.isdigit() for c in piece)) and not (
            _ESTATE.search(piece)
        ):
            break
        end = more
    span = text[match.end() : end]
    if not any(c.isdigit() for c in span) or len(_CJK_LETTER.findall(span)) < 2:
        return None
    first_digit = next(i for i, c in enumerate(span) if c.isdigit())
    named_first = _CJK_LETTER.search(span, 0, first_digit) is not None
    if not (span.startswith("〒") or named_first or _NUMBERED_UNIT.match(span, first_digit)):
        return None  # a place's name or a unit comes with its numbers ("北京市…1号", "3栋")
    if not _ADDRESS_UNIT.search(span):
        return None
    return _SCORE, match.end(), end


def _value_end(text: str, start: int) -> int:
    """Where a labelled value that starts at `start` ends (trailing separators left out)."""
    value = _VALUE.match(text, start)
    end = value.end() if value is not None else start
    following = _NEXT_FIELD.search(text, start, end)
    if following is not None:
        end = following.start()
    while end > start and text[end - 1] in " \t\u3000,\uff0c\u3001/\u30fb":
        end -= 1
    return end


_NUMBERED_UNIT = re.compile(r"\d{1,5} ?(?:栋|棟|幢|号楼|號樓|座|단지|동)")
# Separators inside a value that more of the address may follow.
_PARTS = frozenset("\uff0c\u3001\uff08(")
# Unit words of an address: administrative units, roads, numbers, buildings, flats.
_ADDRESS_UNIT = re.compile(
    "[省市区區县縣镇鎮乡鄉村路街道巷弄号號栋棟楼樓座室都府県町丁番시구군동호로길층]"
)
# A housing estate's or building's name after a flat ("3栋1202室，阳光花园小区").
_ESTATE = re.compile(
    "(?:小区|小區|花园|花園|公寓|大厦|大廈|苑|新村|マンション|アパート|ハイツ|아파트|빌라|오피스텔)$"
)
