"""Person names from a first/last-name gazetteer: a cheap name signal without NER, and the
fix for NER that labels foreign names as organisations or places.

The list (`data/names.txt.gz`: ~37.5k names from Faker's locales in Latin script, plus
common English words and places; see `scripts/build_name_list.py`) marks each entry as first
name (F), last name (L), common English word (W) and place (P). A run of capitalised words
counts as a person when it starts with a first name and ends with a surname ("Sari J.
Paavolainen"); a single word only when it is a name and neither a common English word nor a
place, so "May", "Will" and "Georgia" never count alone, and then with a lower score (a
first name alone stays below the mask threshold without another cue).
"""

from __future__ import annotations

import gzip
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from importlib import resources

from hybridroute.privacy.entities import Entity, EntityType
from hybridroute.privacy.matching import CAPITALS, enclosing_runs, matches


class NameList:
    """Lower-cased name -> flags: `F` first, `L` last, `W` also a common English word, `P`
    also a place."""

    def __init__(self, entries: Mapping[str, str]) -> None:
        self._entries = dict(entries)
        for word in NATIONALITIES:  # "a German IBAN", "French toast": never a name alone
            self._entries[word] = self._entries.get(word, "") + "W"
        # First or last names that are neither English words nor places.
        self.lone_names = frozenset(
            k for k, f in self._entries.items() if ({"F", "L"} & set(f)) and not {"W", "P"} & set(f)
        )
        self._not_run_together: set[str] = set()

    def is_single_name(self, word: str) -> bool:
        """`is_lone_name(word) or is_unknown_surname(word)` for a capitalised word, with
        one set lookup for most words (the loop of `NameDetector.detect` calls this)."""
        key = word.lower()
        if key in self._entries:  # listed: only a lone name can qualify
            return key in self.lone_names and word[:1].isupper() and word[1:2].islower()
        if word[-1] in _BARE_ENDINGS:  # "Smiths", "Smith." may be listed bare
            return self.is_lone_name(word) or self.is_unknown_surname(word)
        return len(word) > 4 and word[1:2].islower() and key.endswith(SURNAME_ENDINGS)

    @classmethod
    def load(cls) -> NameList:
        """The list shipped in the package."""
        packed = resources.files("hybridroute.privacy").joinpath(DATA_FILE).read_bytes()
        text = gzip.decompress(packed).decode("utf-8")
        entries = dict(line.split("\t", 1) for line in text.splitlines() if line and line[0] != "#")
        return cls(entries)

    def __len__(self) -> int:
        return len(self._entries)

    def flags(self, word: str) -> str:
        found = self._entries.get(word.lower())
        if found is None:
            if word[-1] not in _BARE_ENDINGS:
                return ""
            bare = _bare(word)
            found = self._entries.get(bare.lower(), "") if bare != word else ""
        return found

    def is_surname(self, word: str) -> bool:
        """A known last name, or an unknown word with a surname ending ("-ović", "-dóttir")."""
        flags = self.flags(word)
        if flags:
            return "L" in flags
        return len(word) > 4 and _bare(word).lower().endswith(SURNAME_ENDINGS)

    def is_full_name(self, words: Sequence[str], *, known_only: bool = False) -> bool:
        """First name, optional middle names or initials, surname; an unknown word before an
        unknown surname ("Esat Jeknić"); or three unknown words around a middle initial
        ("Szabina J Gelencsér"). `known_only`: both ends must be listed names."""
        if len(words) < 2 or not all(w[:1].isupper() for w in words):
            return False
        if words[0].lower().rstrip(".") in SAINTS:  # a place: "San Diego", "St. Albans"
            return False
        first, last, middle = words[0], words[-1], words[1:-1]
        if known_only:
            surname = "L" in self.flags(last)
        else:
            surname = self.is_surname(last)
        if surname and ("F" in self.flags(first) or (not known_only and self.is_unknown(first))):
            return all(_is_initial(w) or "W" not in self.flags(w) for w in middle)
        if (
            not known_only
            and len(words) == 2
            and (self.is_unknown(last) or self.is_lone_name(last))
        ):
            # A first name that is no English word or place before an unknown word
            # ("Grzegorz Brzęczyszczykiewicz", "Mohammed Al-Rashid") or before another such
            # name: many surnames are listed as first names only ("Mehmet Aksoy").
            return self.is_lone_name(first) and "F" in self.flags(first)
        return (
            not known_only
            and len(words) == 3
            and _is_initial(words[1])
            and all(len(w) > 2 and not (set(self.flags(w)) & {"W", "P"}) for w in words[::2])
        )

    def is_lone_name(self, word: str) -> bool:
        """A capitalised first or last name that is neither an English word nor a place."""
        flags = self.flags(word)
        return (
            word[:1].isupper()
            and word[1:2].islower()  # not an acronym ("GIL")
            and ("F" in flags or "L" in flags)
            and "W" not in flags
            and "P" not in flags
        )

    def is_run_together(self, word: str) -> bool:
        """Two or three names written as one word ("DerekHolt", or "Derek\u200bHolt" once the
        detection view drops the zero-width space): a first name, then listed names, the last
        a surname that is no English word (or an unknown word with a surname ending, as in
        "AnnaKowalska"), so "PageRank", "MaxHeap" and "JordanForm" stay identifiers. Only
        words with a capital inside are split."""
        if word.istitle() or not word[1:2].islower() or len(word) > 60:  # also acronyms
            return False
        # Identifiers repeat ("DataFrame" 40 times in one prompt; ~2 us each to split), so
        # words that are no name are remembered; names are not, so none outlives its request.
        if word in self._not_run_together:
            return False
        if self._split_run_together(word):
            return True
        if len(self._not_run_together) >= 4096:
            self._not_run_together.clear()
        self._not_run_together.add(word)
        return False

    def _split_run_together(self, word: str) -> bool:
        cuts = [i for i in range(1, len(word)) if word[i].isupper() and word[i - 1].islower()]
        if not 1 <= len(cuts) <= 2:
            return False
        parts = [word[a:b] for a, b in zip([0, *cuts], [*cuts, len(word)], strict=True)]
        if not all(len(p) > 1 and p[1:].islower() for p in parts):
            return False
        if parts[-1].lower() in CODE_SUFFIXES:
            return False
        *named, last = [self.flags(p) for p in parts]
        # The surname: listed and no English word, or unknown with a surname ending
        # ("AnnaKowalska"), as in a run of words.
        surname = ("L" in last and "W" not in last) or (
            not last and len(parts[-1]) > 4 and parts[-1].lower().endswith(SURNAME_ENDINGS)
        )
        return (
            surname
            and "F" in named[0]
            and all(("F" in f or "L" in f) and "W" not in f for f in named[1:])
        )

    def is_unknown(self, word: str) -> bool:
        """A capitalised word that is no known name, English word or place ("Nishiyama")."""
        return len(word) > 2 and word[:1].isupper() and word[1:2].islower() and not self.flags(word)

    def is_unknown_surname(self, word: str) -> bool:
        """An unknown capitalised word with a surname ending ("Borkowski")."""
        return (
            len(word) > 4
            and word[1:2].islower()
            and _bare(word).lower().endswith(SURNAME_ENDINGS)
            and not self.flags(word)
        )

    def is_name_or_unknown(self, word: str) -> bool:
        return self.is_lone_name(word) or self.is_unknown(word)

    def is_person(self, words: Sequence[str]) -> bool:
        """Words of an NER span that make a person's name (see the module docstring)."""
        if len(words) == 1:
            return self.is_lone_name(words[0]) or (
                not self.flags(words[0]) and self.is_surname(words[0])
            )
        if any(w in ORG_WORDS for w in words):
            return False
        # Two or three words, each a name or unknown: NER's "Tomomi Nishiyama" (ORG).
        return self.is_full_name(words) or (
            len(words) <= 3 and all(self.is_name_or_unknown(w) for w in words)
        )


class NameDetector:
    """Finds capitalised names from the gazetteer; also re-labels NER spans that are known
    names. The list loads on first use (~50 ms)."""

    name = "names"

    def __init__(
        self,
        names: NameList | None = None,
        *,
        score: float = 0.85,
        lone_score: float = 0.75,
        lowercase: bool = False,
    ) -> None:
        self._names = names
        self.score = score
        # Also look up every lower-case word (~0.3 ms per 1,000 tokens; full mode only).
        self.lowercase = lowercase
        # A first name alone is weak evidence: below the mask threshold without another cue.
        self.lone_score = lone_score
        self._lock = threading.Lock()

    @property
    def names(self) -> NameList:
        with self._lock:
            if self._names is None:
                self._names = NameList.load()
            return self._names

    def detect(self, text: str) -> list[Entity]:
        # The hot loop of fast mode (~200 capitalised words per 1,000 tokens of PII-dense
        # text): `_RUN` finds each run of capitalised words in C; a one-word run (most of
        # them) costs one name-list lookup, longer runs are split here.
        names = self.names
        found: list[Entity] = []
        pos = 0
        while (match := _RUN.search(text, pos)) is not None:
            start, pos = match.span()
            if start and _JOINED_BEFORE.match(text, start - 1):
                # Inside a word: no run starts before the end of its joined characters.
                joined = _JOINED.match(text, start)
                pos = joined.end() if joined else start + 1
                continue
            word = match.group()
            if " " not in word and "\t" not in word:
                if word.endswith(_POSSESSIVE):  # "Smith's" -> "Smith"
                    word = word[:-2]
                if names.is_single_name(word):
                    end = start + len(word)
                    if end == pos and (tail := _particle_tail(names, word, text, end)):
                        found.append(self._entity(start, tail, self.score))
                        pos = tail
                        continue
                    if end == pos and (given := _given_after_comma(names, word, text, end)):
                        found.append(self._entity(start, given, self.score))
                        pos = given
                        continue
                    found.append(self._entity(start, end, self.lone_score))
                elif not word.istitle() and names.is_run_together(word):
                    # ("Derek", "DerekHolt"; the guard skips the call for most words)
                    found.append(self._entity(start, start + len(word), self.score))
                continue
            run: list[tuple[int, int, str]] = []
            for token in _RUN_WORD.finditer(text, start, pos):
                word, end = token.group(), token.end()
                if word.endswith(_POSSESSIVE):
                    # A possessive ends the run; the next run starts after it.
                    run.append((token.start(), end - 2, word[:-2]))
                    pos = end
                    break
                run.append((token.start(), end, word))
            found.extend(self._names_in_run(names, run))
        if "_" in text:
            found.extend(self._underscored_names(names, text))
        if self.lowercase:
            found.extend(self._lowercase_names(text))
        return found

    def _underscored_names(self, names: NameList, text: str) -> list[Entity]:
        """Full names written as one identifier ("Derek_Holt", a message's `name` field).
        Only the identifiers holding "_" before a capital are searched (a search from every
        capital costs ~0.1 ms per 1,000 tokens of code-heavy prose)."""
        found = []
        identifiers = enclosing_runs(_UNDERSCORE_CAPITAL.finditer(text), text, _NAME_JOINER)
        for start, end in identifiers:
            for match in matches(_UNDERSCORED, text, _PART_JOINER, start, end):
                tokens = [(w.start(), w.end(), w.group()) for w in _PART.finditer(match.group())]
                span = _best_name(names, tokens)
                if span is not None:
                    at = match.start()
                    found.append(self._entity(at + span[0], at + span[1], self.score))
        return found

    def _names_in_run(self, names: NameList, run: list[tuple[int, int, str]]) -> list[Entity]:
        """The longest full name in a run of capitalised words, else its lone names and names
        written as one word."""
        if len(run) > 1:
            span = _best_name(names, run)
            if span is not None:
                return [self._entity(span[0], span[1], self.score)]
        found = []
        for start, end, word in run:
            if names.is_single_name(word):  # = is_lone_name or is_unknown_surname, faster
                found.append(self._entity(start, end, self.lone_score))
            elif not word.istitle() and names.is_run_together(word):
                found.append(self._entity(start, end, self.score))
        return found

    def _lowercase_names(self, text: str) -> list[Entity]:
        """Listed names typed in lower case ("ask nina"), never English words or places; a
        first name and then a surname are one full name ("sarah mitchell's")."""
        names = self.names
        found: list[Entity] = []
        first: tuple[int, int] | None = None  # the last lone first name, if a surname may follow
        for word in matches(_LOWER_WORD, text, _JOINED_BEFORE):
            start, end = word.span(1)
            name = word.group(1).capitalize()
            if first is not None and text[first[1] : start] == " " and _lower_surname(names, name):
                found[-1] = self._entity(first[0], end, self.score)
                first = None
                continue
            first = None
            if names.is_lone_name(name):
                found.append(self._entity(start, end, self.lone_score))
                if "F" in names.flags(name) and word.end() == end:  # no possessive
                    first = (start, end)
        return found

    def retype(self, entities: Sequence[Entity], text: str) -> list[Entity]:
        """NER organisations, places and groups whose words are a known name become PERSON;
        then unknown capitalised words listed with a person ("Kónya, Becker and Vasquez")
        are persons too."""
        names = self.names
        result = []
        for entity in entities:
            if entity.source == "ner" and entity.type in RETYPED:
                words = text[entity.start : entity.end].split()
                if names.is_person(words):
                    entity = replace(entity, type=EntityType.PERSON)
            result.append(entity)
        return result + self._listed_with_persons(result, text)

    def _listed_with_persons(self, entities: Sequence[Entity], text: str) -> list[Entity]:
        """Names or unknown words joined by a comma, "and", "or" or "&" to a person."""
        names = self.names
        queue = [e for e in entities if e.type == EntityType.PERSON]
        seen = {(e.start, e.end) for e in queue}
        added: list[Entity] = []
        while queue:
            person = queue.pop()
            after = _LISTED_AFTER.match(text, person.end)
            start = max(0, person.start - 40)
            before = (
                _LISTED_BEFORE.search(text, start, person.start)
                if _ends_with_join(text[start : person.start])
                else None
            )
            for match in (after, before):
                if match is None or (match.start("w"), match.end("w")) in seen:
                    continue
                if not names.is_name_or_unknown(match["w"]):
                    continue
                entity = self._entity(match.start("w"), match.end("w"), self.lone_score)
                seen.add((entity.start, entity.end))
                added.append(entity)
                queue.append(entity)
        return added

    def _entity(self, start: int, end: int, score: float) -> Entity:
        return Entity(type=EntityType.PERSON, start=start, end=end, score=score, source="names")


def _lower_surname(names: NameList, name: str) -> bool:
    """A listed surname that is no English word or place, or an unknown word with a surname
    ending ("kowalczyk")."""
    flags = names.flags(name)
    if flags:
        return "L" in flags and "W" not in flags and "P" not in flags
    return names.is_surname(name)


def _ends_with_join(before: str) -> bool:
    """Whether `before` may end with `_JOIN` (as `_LISTED_BEFORE` needs): a comma, "and",
    "or" or "&" before spaces and tabs, and before one line break (`$` also matches before
    a last one). The search tries up to 40 places (~1 µs per person; most have a plain
    space before them), this check a few string methods in C."""
    return before.removesuffix("\n").rstrip(" \t").endswith((",", "and", "or", "&"))


def _best_name(names: NameList, tokens: list[tuple[int, int, str]]) -> tuple[int, int] | None:
    """The first, longest full name inside a run of capitalised words, if any, with a
    second surname the list does not know ("Ricardo Mendes Couto", "María Pérez Ojeda")."""
    for i, (start, _, _) in enumerate(tokens):
        for j in range(len(tokens) - 1, i, -1):
            if names.is_full_name([t[2] for t in tokens[i : j + 1]]):
                if j + 1 < len(tokens) and _second_surname(names, tokens[i][2], tokens[j + 1][2]):
                    j += 1
                return start, tokens[j][1]
    return None


def _second_surname(names: NameList, first: str, word: str) -> bool:
    """`word` after a full name opening with the listed first name `first` is its second
    surname (not after "Extended Key": unknown words open many such false names)."""
    if word in ORG_WORDS or not word.istitle() or not names.is_lone_name(first):
        return False  # "Sam Altman OpenAI"
    return names.is_unknown(word) or names.is_surname(word)


def _particle_tail(names: NameList, first: str, text: str, end: int) -> int | None:
    """Where a surname with particles ends after the lone first name `first` ending at
    `end` ("Sanne| de Wit", "Pieter| van der Berg", "Lucía| de la Cruz"), if one does."""
    if "F" not in names.flags(first):
        return None
    tail = _PARTICLE_TAIL.match(text, end)
    if tail is None:
        return None
    surname = tail.group("surname")
    flags = names.flags(surname)
    if surname in ORG_WORDS or surname.lower() in SAINTS or "W" in flags:
        return None
    # A place after a particle makes a surname ("da Vinci", "van Rossum"), not after a first
    # name that opens place names ("Santiago de Chile").
    if first.lower() in _PLACE_OPENERS:
        return None
    # German "von" and "zu" are prepositions before capitalised nouns too ("Lisa von
    # Urlaub"): then only a listed surname counts ("Maria von Trapp"; "von der Leyen" is missed).
    if tail.group("particle") in _PREPOSITIONS and "L" not in flags:
        return None
    return tail.end()


def _given_after_comma(names: NameList, surname: str, text: str, end: int) -> int | None:
    """Where "Surname, Given" ends, when `text[end:]` is ", " and a listed first name that
    ends the run ("Kowalski, Marta (DOB …)", a register's order): the given name is part of
    the name even when it is also a word or a place ("Marta"), which alone would not count.
    The surname must not be a first name too ("Hannah, Anthony" and "Mason, Noah" are lists
    of people), nor a listed word or place ("Paris, France"), and no list may go on after."""
    if not text.startswith(", ", end) or "F" in names.flags(surname):
        return None
    if not names.is_surname(surname):
        return None
    given = _COMMA_GIVEN.match(text, end)
    if given is None or "F" not in names.flags(given["given"]):
        return None
    return given.end("given")


# Not when a list of people goes on ("founders: Eklund, Michael and Hodge").
_COMMA_GIVEN = re.compile(
    r", (?P<given>[A-Z][a-z\u00e0-\u017f]+)(?![\w'-]| [A-Z]| (?:and|or|&) [A-Z]|, [A-Z])"
)


def _bare(word: str) -> str:
    """The word without a possessive or trailing period."""
    for suffix in ("'s", "\u2019s", "."):
        word = word.removesuffix(suffix)
    return word


def _is_initial(word: str) -> bool:
    return len(word) <= 2 and word[0].isupper() and (len(word) == 1 or word[1] == ".")


DATA_FILE = "data/names.txt.gz"
RETYPED = frozenset({EntityType.ORGANIZATION, EntityType.LOCATION, EntityType.NRP})
# Words that make a capitalised run an organisation or a place, not a person.
ORG_WORDS = frozenset(
    "Inc Inc. Ltd Ltd. LLC Corp Corp. Co Co. Company Group Bank University College School "
    "Institute Foundation Association Hospital Clinic Hotel Airlines Airways Partners Capital "
    "Holdings Industries Technologies Systems Labs GmbH AG SA Street Avenue Road Park".split()
)
# Listed surnames (and no English words) that end identifiers far more often than names do
# ("RichHandler", "MetaSingleton", "JuliaLang"): never the last part of a run-together name.
CODE_SUFFIXES = frozenset({"handler", "master", "singleton", "lang", "kern", "bins", "font"})
# Saints' names open place names ("Santa Monica", "San Diego", "São Paulo", "St Albans").
SAINTS = frozenset({"san", "santa", "santo", "são", "saint", "sainte", "sankt", "st", "ste"})
# Nationality and language words that are also given names in some locale ("German").
NATIONALITIES = frozenset(
    "german french english spanish italian dutch polish swedish norwegian danish finnish "
    "russian chinese japanese korean indian american british irish scottish welsh greek "
    "turkish arabic hebrew persian portuguese brazilian mexican canadian australian swiss "
    "austrian belgian czech hungarian romanian ukrainian african asian european latin".split()
)
# Surname endings common in Slavic, Nordic, Baltic, Greek, Romanian and Turkish names.
SURNAME_ENDINGS = (
    "ović",
    "ovic",
    "ević",
    "evic",
    "ić",
    "ova",
    "ová",
    "ovna",
    "evna",
    "ovich",
    "evich",
    "sson",
    "dóttir",
    "dottir",
    "ski",
    "ska",
    "sky",
    "cki",
    "cka",
    "czyk",
    "enko",
    "shvili",
    "poulos",
    "escu",
    "oğlu",
)
_WORD = rf"[{CAPITALS}][^\W\d_]*(?:['\u2019-][^\W\d_]+)*"
_BARE_ENDINGS = frozenset("s.")
_TOKEN = re.compile(rf"[{CAPITALS}]\.?(?![\w'\u2019-])|{_WORD}")
# A run: up to four capitalised words (or initials) separated by spaces or tabs. It starts
# with a capital so `re` skips ahead fast; a run starting inside a word ("iPhone") is
# dropped in Python (`_JOINED_BEFORE` before it), which a look-behind would do 2-3x slower.
_RUN = re.compile(rf"(?:{_TOKEN.pattern})(?:[ \t]+(?:{_TOKEN.pattern})){{0,3}}")
# The rest of the word a run started inside, joined as `_JOINED_BEFORE` joins ("iPhone--Derek"
# ends at "--": "Derek" may still open a run).
_JOINED = re.compile(r"(?:\w|(?<=\w)['\u2019-])+")
# In an identifier "_" separates words: "send_to_Derek_Holt" holds a name.
_PART_JOINER = re.compile(r"[^\W_]|['\u2019-]")
_UNDERSCORED = re.compile(rf"{_WORD}(?:_{_WORD}){{1,3}}(?![^\W_]|['\u2019-])")
_PART = re.compile(r"[^_]+")
_UNDERSCORE_CAPITAL = re.compile(rf"_[{CAPITALS}]")
_RUN_WORD = re.compile(r"[^ \t]+")
# Particles that are also prepositions, and first names that open place names (see
# `_particle_tail`).
_PREPOSITIONS = frozenset({"von", "zu"})
_PLACE_OPENERS = frozenset({"santiago", "rio", "ciudad", "puerto", "villa"})
# Particles a surname may open with, then ones that may follow ("van der", "de la"). German
# "das", "der", "den" and Romance articles do not open one: "gib Anna das Buch".
_PARTICLE_TAIL = re.compile(
    r"[ \t](?P<particle>van|von|zu|de|del|della|di|da|dos|du|ten|ter|bin|ibn|n[ií]|nic)"
    r"(?:[ \t](?:der|den|de|la|las|los|le|da|do))?"
    rf"[ \t](?P<surname>[{CAPITALS}][^\W\d_]*[^\W\d_A-Z](?:['\u2019-][^\W\d_]+)*)"
    r"(?![\w'\u2019-])"
)
# A list's joiner: a comma needs a space after it ("Kónya, Becker"); a CSV row's cells
# ("Fernández,Logistics") are no list of people.
_JOIN = r"(?:,[ \t]+(?:and[ \t]+|or[ \t]+|&[ \t]*)?|,(?:and|or|&)[ \t]+|[ \t]+(?:and|or|&)[ \t]+)"
_LISTED_AFTER = re.compile(rf"{_JOIN}(?P<w>{_WORD})(?![\w'\u2019-])")
_LISTED_BEFORE = re.compile(rf"(?<![\w'\u2019-])(?P<w>{_WORD}){_JOIN}$")
# A lower-case word (group 1), with a possessive after it ("sarah mitchell's").
_LOWER_WORD = re.compile(
    r"([a-z\u00df-\u00f6\u00f8-\u00ff][^\W\d_]+)(?:['\u2019]s)?(?![\w'\u2019-])"
)
_NAME_JOINER = re.compile(r"[\w'\u2019-]")
# A word continues across an apostrophe or hyphen only after a letter ("O'Neil", "Jean-");
# after a space it opens a quotation ("proofread: 'Mateo Gutiérrez has…'").
_JOINED_BEFORE = re.compile(r"\w|(?<=\w)['\u2019-]")
_POSSESSIVE = ("'s", "\u2019s")
