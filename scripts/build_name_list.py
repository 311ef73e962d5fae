"""Build src/hybridroute/privacy/data/names.txt.gz: first and last names for the name gazetteer.

    .venv/bin/python scripts/build_name_list.py

Names come from Faker's person providers (MIT licence, https://github.com/joke2k/faker), every
locale written in Latin script; Faker is needed only here, never at run time. Each line is
`<lower-cased name>\\t<flags>`: `F` first name, `L` last name, `W` also a common English word
(Faker's common-word list, spaCy's stop words, month/day names, or written in lower case at
least twice in the LLMRouter *training* queries: "will", "may", "reed"), `P` also a place
(a city, region or country in Faker's address providers: "Paris", "Victoria"). The gazetteer
never takes a W or P name on its own.

The no-PII evaluation sets (MT-Bench, Arena-Hard, the LLMRouter *test* split, Vicuna,
self-instruct) are not read here.
"""

from __future__ import annotations

import gzip
import importlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src/hybridroute/privacy/data/names.txt.gz"
CORPUS = ROOT.parent / "shared/data/task_type/llmrouter_default_query_train.jsonl"
PLACE_ATTRS = (
    "cities",
    "city_names",
    "real_city_names",
    "metropolitan_cities",
    "countries",
    "states",
    "provinces",
    "regions",
    "region_names",
    "municipalities",
    "prefectures",
    "districts",
    "towns",
    "villages",
)
# The romanised lists are Faker's Chinese (pinyin and Wade-Giles) and Japanese names.
FIRST_ATTRS = (
    "first_names",
    "first_names_male",
    "first_names_female",
    "first_names_nonbinary",
    "first_romanized_names",
)
LAST_ATTRS = (
    "last_names",
    "last_names_male",
    "last_names_female",
    "last_names_nonbinary",
    "last_romanized_names",
)
# Faker writes Korean names in Hangul only: the common surnames in their usual romanised
# spellings (given names such as "Sung-min" are unknown words, which may open a full name).
KOREAN_SURNAMES = (
    "kim lee park choi jung jeong kang cho yoon yun jang lim han seo shin kwon hwang ahn "
    "song jeon hong yoo ko moon yang son bae baek heo nam noh roh kwak sung cha joo woo "
    "ryu jin chae won chun bang gong hyun pyo yeo byun yeom"
).split()
# Well-known places missing from Faker's address lists (which mostly hold generated towns).
WORLD_PLACES = (
    "paris london berlin madrid rome vienna prague warsaw budapest lisbon dublin amsterdam "
    "brussels athens oslo stockholm helsinki copenhagen moscow kyiv istanbul cairo dubai "
    "delhi mumbai tokyo kyoto osaka beijing shanghai seoul sydney melbourne toronto montreal "
    "vancouver chicago boston houston dallas austin denver phoenix seattle atlanta miami "
    "orlando detroit memphis nashville portland savannah charlotte jackson madison lincoln "
    "washington columbia augusta florence venice milan naples geneva zurich munich hamburg "
    "frankfurt cologne lyon marseille nice barcelona seville valencia porto victoria "
    "alexandria jordan israel chad sudan niger georgia virginia carolina dakota indiana "
    "montana nevada africa asia europe america india china japan brazil mexico canada "
    "sahara everest amazon nile jersey york hong kong hiroshima nagasaki nagoya sapporo "
    "fukuoka kobe yokohama sendai okinawa nara chiba saitama shenzhen guangzhou hangzhou "
    "nanjing wuhan chengdu tianjin taipei kaohsiung taichung busan incheon daegu"
).split()
CALENDAR = (
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday"
).split()


# Words that are no names, beyond the English ones: a column label that is also a romanised
# given name ("Min | Max"), and German possessives and kin, capitalised before a name
# ("Unsere Tochter Lena Vogel").
OTHER_WORDS = (
    "min mein meine meinen meinem meiner unser unsere unseren unserem unserer dein deine "
    "sein seine ihr ihre ihren tochter sohn mutter vater bruder schwester oma opa tante onkel "
    "kollege kollegin nachbar nachbarin"
).split()


def latin_name(value: str) -> str | None:
    """The lower-cased name if it is one token of Latin letters (and - or '), else None."""
    value = value.strip()
    if len(value) < 3:
        return None
    for char in value:
        if char in "-'\u2019":
            continue
        if not char.isalpha() or "LATIN" not in unicodedata.name(char, ""):
            return None
    return value.lower()


def provider_names(kind: str, attrs: Iterable[str]) -> set[str]:
    """Single-token Latin names from `faker.providers.<kind>.<locale>` list attributes."""
    import faker.config

    names: set[str] = set()
    for locale in faker.config.AVAILABLE_LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.{kind}.{locale}").Provider
        except ImportError:
            continue
        for attr in attrs:
            values = vars(provider).get(attr)
            if isinstance(values, (tuple, list, dict)):
                names.update(n for n in map(latin_name, map(str, values)) if n)
    return names


def english_words() -> set[str]:
    from faker.providers.lorem.en_US import Provider as Lorem
    from spacy.lang.en.stop_words import STOP_WORDS

    words = {*Lorem.word_list, *STOP_WORDS, *CALENDAR, *OTHER_WORDS}
    if CORPUS.exists():
        counts: Counter[str] = Counter()
        for line in CORPUS.open(encoding="utf-8"):
            counts.update(re.findall(r"(?<![\w-])[a-z]+(?![\w-])", json.loads(line)["query"]))
        words.update(w for w, n in counts.items() if n >= 2)
    return {w for w in words if latin_name(w)}


def main() -> int:
    first = provider_names("person", FIRST_ATTRS)
    last = provider_names("person", LAST_ATTRS) | set(KOREAN_SURNAMES)
    places = provider_names("address", PLACE_ATTRS) | set(WORLD_PLACES)
    words = english_words()
    lines = []
    # English words and places that are not names are listed too (flags W/P only): a
    # capitalised word missing from the file is then an unknown, likely foreign, proper noun.
    for name in sorted(first | last | words | places):
        flags = ("F" if name in first else "") + ("L" if name in last else "")
        flags += ("W" if name in words else "") + ("P" if name in places else "")
        lines.append(f"{name}\t{flags}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    header = "# Generated by scripts/build_name_list.py from Faker (MIT licence); do not edit.\n"
    # mtime=0: the same input gives the same bytes.
    OUT.write_bytes(gzip.compress((header + "\n".join(lines) + "\n").encode(), 9, mtime=0))
    print(f"{OUT}: {len(first)} first, {len(last)} last, {len(words)} words, {len(lines)} lines")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
