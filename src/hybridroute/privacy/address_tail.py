"""The rest of a postal address after its street line: "18 Thornbury Road, Bristol BS6 5RT",
"Via Garibaldi 23, 10122 Torino", "1906 W Carmen Ave, Chicago, IL 60640".

The street recognizers find the street and house number; the city, the postcode and the
state that follow after a comma went out in clear next to the mask, and with the street's
neighbourhood they still place the person. Here each street address is extended over up to
three comma-separated parts that look like an address's end: capitalised place names,
postcodes of the common formats, a state's abbreviation, a Spanish floor ("3º izquierda");
over a flat number written onto the house number ("17/4", "4/2"), and back over a flat named
before it ("Flat 4, 19 Rosebery Road").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from hybridroute.privacy.entities import Entity, EntityType
from hybridroute.privacy.matching import CAPITALS


def with_address_tails(text: str, entities: Sequence[Entity]) -> list[Entity]:
    """`entities` with each STREET_ADDRESS span extended over the address's end."""
    if not any(e.type == EntityType.STREET_ADDRESS for e in entities):
        return list(entities)
    return [_extended(text, e) if e.type == EntityType.STREET_ADDRESS else e for e in entities]


def _extended(text: str, entity: Entity) -> Entity:
    start, end = entity.start, entity.end
    flat = _FLAT_BEFORE.search(text, max(0, start - 5), start)
    if flat is not None and flat.end() == start:
        start = flat.start()
    # (Only before a house number: "Suite 067 Apt. 162" would overlap the street before it.)
    unit = _UNIT_BEFORE.search(text, max(0, start - 24), start) if text[start].isdigit() else None
    if unit is not None and unit.end() == start:
        start = unit.start()
    flat_after = _FLAT_AFTER.match(text, end)
    if flat_after is not None:
        end = flat_after.end()
    tail = _TAIL.match(text, end)
    if tail is not None:
        # Drop trailing parts that are ordinary words after all ("…Road, But I…").
        parts = tail.group().split(",")
        while parts and parts[-1].strip().split(" ")[0].lower() in _NOT_PLACES:
            parts.pop()
        end += len(",".join(parts))
    if (start, end) == (entity.start, entity.end):
        return entity
    return replace(entity, start=start, end=end)


# (Not a field label that follows an address in a signature: "…, USA Phone: …".)
_PLACE_WORD = rf"(?!(?:Phone|Tel|Fax|E-?mail|Mobile|Cell|Web)\b)[{CAPITALS}][\w'\u2019-]*"
_POSTCODE = (
    r"[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2}"  # UK
    r"|[A-Z]\d[A-Z][ \t]?\d[A-Z]\d"  # Canada
    r"|\d{4}[ \t]?[A-Z]{2}(?![\w])"  # Netherlands
    r"|\d{5}(?:-\d{4})?|\d{2}-\d{3}|\d{4}|[A-Z]-\d{4,5}"  # US, most of Europe, Poland
)
_FLOOR = r"\d{1,2}[º°ª](?:[ \t]+(?:izquierda|derecha|izda\.?|dcha\.?|[A-Z])(?![\w]))?"
# One part: up to four tokens, each a place word, a postcode or a state's abbreviation.
_TOKEN = rf"(?:{_POSTCODE}|{_FLOOR}|[A-Z]{{2,3}}(?![\w])|{_PLACE_WORD})"
_PART = rf"{_TOKEN}(?:[ \t]{_TOKEN}){{0,3}}"
_TAIL = re.compile(rf"(?:,[ \t]*{_PART}){{1,3}}")
# A flat written onto the house number ("17/4") or after it ("84/92 m. 17", "lok. 5").
_FLAT_AFTER = re.compile(
    r"(?:/\d{1,4}[a-zA-Z]?(?![\w/]))?"
    r"(?:[ \t]+(?:m\.|lok\.|apt\.?|flat)[ \t]*\d{1,4}[a-zA-Z]?(?!\w))?"
)
_FLAT_BEFORE = re.compile(r"(?<![\w/])\d{1,4}/")
# A flat or unit named before the street line: "Flat 4, 19 Rosebery Road".
_UNIT_BEFORE = re.compile(
    r"(?<![\w])(?:Flat|Apt\.?|Apartment|Unit|Suite)[ \t]*#?\d{1,4}[A-Za-z]?,?[ \t]+"
)
# Capitalised words that start a sentence or a clause, not a place.
_NOT_PLACES = frozenset(
    "but and or so then the this that these those it i we you he she they please thanks"
    " thank also which who where when if because since although however my our your his"
    " her their can could would should will is are was were do does did".split()
)
