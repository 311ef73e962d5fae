"""Names right after a personal cue: "my landlord emeka nwachukwu", "patient marcus delaney",
"a reminder to Eilidh MacLeod", "mijn huurder Pieter van der Berg".

The gazetteer alone needs a listed first name and surname, capitalised ("Eilidh" is not
listed, "chen jiahui" is typed in lower case). Right after a cue a name is expected, so a
run of two to five words is taken as one when every word could be part of a name: a listed
first or last name that is no English word or place, a particle ("van der"), or a word the
list does not know. Capitalised runs may be all unknown words ("Eilidh MacLeod"); a
lower-case run must open with a listed name ("chen jiahui"). The run stops at the first
word that cannot be part of a name, so "customer support" and "patient with diabetes" give
none.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from hybridroute.privacy.calibration import PARTICLES, cue_group, personal_cues
from hybridroute.privacy.entities import Entity, EntityType
from hybridroute.privacy.names import ORG_WORDS, SAINTS, NameList


def names_after_cues(
    text: str,
    names: NameList,
    entities: Sequence[Entity],
    *,
    score: float,
    cues: Sequence[re.Match[str]] | None = None,
) -> list[Entity]:
    """PERSON entities for the names that open right after a personal cue (`cues`, else
    found here), unless a detected person reaches as far from there already."""
    # Where each detected person starts, and how far the longest one from there reaches.
    reach: dict[int, int] = {}
    for entity in entities:
        if entity.type == EntityType.PERSON:
            reach[entity.start] = max(entity.end, reach.get(entity.start, 0))
    found: list[Entity] = []
    for cue in personal_cues(text) if cues is None else cues:
        intro = cue_group(cue, "intro")
        intro = intro.strip() if intro is not None else None
        if intro == "named":
            continue  # characters of stories and games: "a dwarf named Thorgrim Ironfoot"
        if cue_group(cue, "affiliation") is not None:
            continue  # it follows the name it vouches for ("Rohit Kulkarni from accounts")
        at = cue.end() - 1  # `cue.string` is one character longer than `text`
        slot = _SLOT_OPENING.match(text, at)
        start = slot.end() if slot else at
        # Messages, replies, meetings, headers, greetings and sign-offs also go to or come
        # from firms ("an email to Deutsche Bahn", "From: Jira Admins", "Regards,\nHubSpot
        # Academy"), as do HR events and name fields ("reporter: Dependabot Preview"): after
        # them a name needs a listed word. Roles and honorifics are people's.
        people_only = intro in _HONORIFICS if intro is not None else _is_role(cue)
        end = _name_end(names, _slot_words(text, start), unknown_run=people_only)
        # A longer name than the one found there ("Zhang" -> "Zhang Xiaoming") replaces
        # it when overlaps are resolved.
        if end is not None and end > reach.get(start, start):
            reach[start] = end
            found.append(
                Entity(type=EntityType.PERSON, start=start, end=end, score=score, source="names")
            )
    return found


def _is_role(cue: re.Match[str]) -> bool:
    """A cue naming the person's role ("my colleague", "huurder", "patient"), not a
    greeting, a sign-off, a header, an event or a record field."""
    if cue_group(cue, "role") is not None:
        return True
    if cue_group(cue, "greeting") is not None or cue_group(cue, "addressee") is not None:
        return False
    if cue_group(cue, "event") is not None:
        return False
    return cue.group()[1:].rstrip()[-1:].isalpha()


def _slot_words(text: str, start: int) -> list[re.Match[str]]:
    """Up to five words from `start`, each one space after the last."""
    words: list[re.Match[str]] = []
    pos = start
    while len(words) < _MAX_WORDS and (word := _WORD.match(text, pos)) is not None:
        words.append(word)
        if text[word.end() : word.end() + 1] != " ":
            break
        pos = word.end() + 1
    return words


def _name_end(names: NameList, words: Sequence[re.Match[str]], *, unknown_run: bool) -> int | None:
    """The end of the longest run of `words` that makes a name, if any; `unknown_run`: a
    run of capitalised words the list does not know may be one."""
    if not words or words[0].group().lower() in _NOT_A_FIRST_WORD:
        return None
    lower = words[0].group()[:1].islower()
    kinds: list[str] = []
    if _capitals_surname_first(names, words):
        kinds = [_LISTED, _LISTED]  # checked there, the given name even if also a word
    # The name is a prefix: cut it at the first word that cannot be in one.
    for word in words[len(kinds) :]:
        kind = _kind(names, word.group(), lower=lower)
        if kind is None and kinds[-1:] == [_PARTICLE] and _is_place(names, word.group()):
            kind = _LISTED  # places make surnames after a particle: "de Vries", "van Dijk"
        if kind is None:
            break
        kinds.append(kind)
    for size in range(len(kinds), 1, -1):
        parts = [k for k in kinds[:size] if k != _PARTICLE]
        if kinds[size - 1] == _PARTICLE or len(parts) < 2:
            continue
        if _is_name(parts, lower=lower, unknown_run=unknown_run):
            return words[size - 1].end()
    return None


def _capitals_surname_first(names: NameList, words: Sequence[re.Match[str]]) -> bool:
    """Whether the words open with a surname in capitals and then a listed first name, as
    forms and registers write names ("KOWALSKI Marta", "DUPONT Jean"). The surname is a
    listed one, or four letters or more the list does not know at all; never an English word
    or place ("NOTE John") nor an organisation's word. An unknown one needs a first name
    that is no English word ("COVID Will" is not a name)."""
    if len(words) < 2:
        return False
    surname, given = words[0].group(), words[1].group()
    if len(surname) < 3 or not surname.isupper() or not given.istitle() or given.isupper():
        return False
    given_flags = names.flags(given)
    if "F" not in given_flags:
        return False
    flags = names.flags(surname.capitalize())
    if "W" in flags or "P" in flags or surname.capitalize() in ORG_WORDS:
        return False
    if "L" in flags:
        return True
    return not flags and len(surname) >= 4 and "W" not in given_flags


def _is_name(parts: Sequence[str], *, lower: bool, unknown_run: bool) -> bool:
    """Capitalised words: a listed name among them, or two or three unknown ones where
    `unknown_run` allows. Lower case: a listed name first, as nothing else marks the run."""
    if lower:
        return parts[0] != _UNKNOWN
    return any(p != _UNKNOWN for p in parts) or (unknown_run and len(parts) <= 3)


def _is_place(names: NameList, word: str) -> bool:
    """A capitalised place name that is no English word."""
    flags = names.flags(word)
    return word[:1].isupper() and "P" in flags and "W" not in flags


def _kind(names: NameList, word: str, *, lower: bool) -> str | None:
    """What a word can be inside a name whose first word is (not) in lower case, or None
    when it can be no part of one."""
    key = word.lower()
    if key.endswith(_CONTRACTIONS):
        return None
    if key in PARTICLES:
        return _PARTICLE
    if word[:1].islower() != lower or (len(word) > 1 and word.isupper()):
        return None  # a change of case, or an acronym ("IT", "HR"); not "O\u2019Sullivan"
    if word in ORG_WORDS:
        return None  # "Acme Corp", "Bristol Hospital"
    flags = names.flags(word.capitalize())
    if flags:
        if "W" in flags or ("F" not in flags and "L" not in flags):
            return None  # an English word or a place
        return _LISTED
    if len(word) < 3 or key in _FUNCTION_WORDS:
        return None
    if lower and (len(word) < 4 or key.endswith(_ENGLISH_ENDINGS)):
        return None
    return _UNKNOWN


_MAX_WORDS = 5
_NOT_A_FIRST_WORD = PARTICLES | SAINTS  # "van", "st": a name does not open with one
# Word kinds: a listed first or last name, a word the list does not know, a particle.
_LISTED, _UNKNOWN, _PARTICLE = "listed", "unknown", "particle"
# A name word: letters, with inner apostrophes or hyphens ("O'Donoghue", "Al-Farsi").
# A possessive ends the word and the name ("Aoife's": the next character is no space).
_WORD = re.compile(r"[^\W\d_]+(?:(?:-|['\u2019](?![sS]\b))[^\W\d_]+)*(?![\w-])")
_CONTRACTIONS = tuple(f"{a}{s}" for a in "'\u2019" for s in ("t", "re", "ll", "ve", "d", "m"))
# What may stand between a cue and its name: a colon, an equals sign, quotes.
_SLOT_OPENING = re.compile(r"[ \t]*[:=]?[ \t]*[\"'\u201c]?")
# Intro cues that address a person, not a message's recipient (lower-cased, stripped).
_HONORIFICS = frozenset(
    "i'm|i am|this is|call me|calls me|name is|name:|herr|herrn|frau|pan|pani|pana|panu|panią"
    "|señor|señora"
    "|sr.|sra.|senhor|senhora|signor|signora|sig.|sig.ra|mme|anh|chị|say\u0131n|meneer"
    "|mevrouw|dhr.|mevr.|fru".split("|")
)
# Short English words the name list does not flag as English.
_FUNCTION_WORDS = frozenset(
    "and the for but not you your our his her its their who whom what which when where why "
    "how this that these those into onto from with about after before over under than then "
    "also just only very more most some any all each every both few many much such own same "
    "other again once here there out off via per yet".split()
)
# Endings of English words that a lower-case surname rarely has.
_ENGLISH_ENDINGS = ("ing", "ed", "tion", "sion", "ly", "ness", "ment", "able", "ity", "ous", "s")
