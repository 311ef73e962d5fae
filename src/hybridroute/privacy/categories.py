"""Sensitive categories of a whole request: health, finance, legal, HR, proprietary code,
internal documents and explicit "keep this local" directives.

Patterns need an ownership or first-person cue where a bare topic word would also match
public questions ("our internal SDK", not "an SDK"), so that general knowledge prompts stay
allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from hybridroute.privacy.matching import lower_aligned, search_within
from hybridroute.privacy.prefilter import FilterPattern, Prefilter


class Category(StrEnum):
    """A sensitive category; the value is what scan rows and reasons show."""

    HEALTH = "health"
    FINANCE = "finance"
    LEGAL = "legal"
    HR = "hr"
    PROPRIETARY_CODE = "proprietary_code"
    INTERNAL_DOCUMENT = "internal_document"
    LOCALITY_DIRECTIVE = "locality_directive"


@dataclass(frozen=True, slots=True, kw_only=True)
class CategoryRule:
    """A category recognised by one lower-case pattern at a word start, gated by cheap
    lower-case triggers."""

    category: Category
    pattern: re.Pattern[str]
    triggers: tuple[str, ...] = ()
    # The pattern behind one consumed non-word character: `re` then tries only after spaces
    # and punctuation, not inside words ("our" in "your"), and a `\b` is not needed.
    _bounded: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_bounded", re.compile(rf"[^\w](?:{self.pattern.pattern})"))

    def triggered(self, lowered: str) -> bool:
        """A trigger occurs in `lowered` (or the rule has none): the pattern may match."""
        return not self.triggers or any(t in lowered for t in self.triggers)

    def matches(self, text: str, lowered: str) -> bool:
        """The pattern occurs in `lowered` (the lower-cased `text`) at a word start."""
        return self.triggered(lowered) and self._bounded.search(" " + lowered) is not None

    def search_in(self, spaced: str, pos: int, endpos: int) -> bool:
        """The pattern matches somewhere in `spaced[pos:endpos]` (" " + lowered)."""
        return search_within(self._bounded, spaced, pos, endpos) is not None

    def matches_at(self, spaced: str, at: int) -> bool:
        """The pattern matches `spaced` (" " + lowered) right after position `at`."""
        return self._bounded.match(spaced, at) is not None


def detect_categories(text: str, rules: tuple[CategoryRule, ...] | None = None) -> tuple[str, ...]:
    """The categories whose rule matches `text`, in Category order, without duplicates.

    The triggered rules' patterns are scanned as one alternation (one pass over the text
    instead of one per rule); at each place it matches, every rule still missing is tried
    there, so the result equals running each rule on its own.
    """
    hits = _DEFAULT_FILTER.scan(text) if rules is None else None
    candidates = [
        (rule, None if hits is None else hits.windows[index])
        for index, rule in enumerate(rules or DEFAULT_RULES)
    ]
    candidates = [(rule, windows) for rule, windows in candidates if windows != ()]
    if not candidates:  # most texts: no lower-cased copy (up to ~20 µs per 10,000 characters)
        return ()
    lowered = lower_aligned(text)
    spaced = " " + lowered
    found: set[Category] = set()
    live = []
    for rule, windows in candidates:
        if windows is None:
            if rule.triggered(lowered):
                live.append(rule)
        # `spaced` is one longer: a match of the rule's body at text position p is a match
        # of `_bounded` at spaced position p (its boundary character comes first). The
        # windows are searched first: the triggers read the whole text.
        elif any(rule.search_in(spaced, low, high + 1) for low, high in windows):
            if rule.triggered(lowered):
                found.add(rule.category)
    if not live:
        return tuple(c.value for c in Category if c in found)
    # `re` caches compiled patterns, so a repeated subset of rules compiles once.
    combined = re.compile(r"[^\w](?:" + "|".join(f"(?:{r.pattern.pattern})" for r in live) + ")")
    live_found: set[Category] = set()
    pos = 0
    while len(live_found) < len(live) and (match := combined.search(spaced, pos)) is not None:
        at = match.start()
        live_found.update(
            r.category for r in live if r.category not in live_found and r.matches_at(spaced, at)
        )
        pos = at + 1
    return tuple(c.value for c in Category if c in found or c in live_found)


# Em and en dash, as characters (the prefilter cannot translate a `\u` escape in a pattern).
_DASHES = "\u2014\u2013"
# The apostrophe and the typographic one (U+2019), as characters like the dashes.
_APOSTROPHES = "'\u2019"
_OWNER = (
    r"(?:our|my\s+(?:company|team|employer)'?s?|the\s+company'?s?|(?:company|team)[- ]internal)"
)
_SECRET = (
    r"(?:internal|proprietary|confidential|non[- ]public|private|in[- ]house|closed[- ]source)"
)

DEFAULT_RULES: tuple[CategoryRule, ...] = (
    CategoryRule(
        category=Category.LOCALITY_DIRECTIVE,
        pattern=re.compile(
            r"(?:keep\s+(?:this|it|that|everything|the\s+\w+)\s+(?:\w+\s+)?"
            r"(?:local(?:ly)?|on[- ]?prem\w*|on[- ]device|in[- ]house|internal|offline)"
            r"|(?:do\s+not|don'?t|never|must\s+not|should\s+not|shouldn'?t|cannot|can'?t)\s+"
            r"(?:send|upload|share|transmit|transfer|forward|pass|route)\b[^.\n]{0,50}?"
            r"\b(?:cloud|internet|externally|outside|third[- ]part\w*|openai|external\w*"
            r"|off[- ]?site|public\s+(?:api|llm|model|service)s?)"
            r"|(?:process|handle|analy[sz]e|answer|run)\s+(?:this|it|them|the\s+\w+|everything)"
            r"\b[^.\n]{0,30}?\b(?:locally|on[- ]?prem\w*|on[- ]device|offline)"
            r"|(?:local|on[- ]?prem\w*|on[- ]device)[- ]only"
            # (What must not leave: data's places, not "the dog must not leave the room".)
            r"|must\s+(?:not|never)\s+leave\s+(?:our|the|my|this)\s+(?:[\w-]+\s+)?(?:company"
            r"|organi[sz]ation|firm|device|machine|laptop|computer|network|premises|servers?"
            r"|building|office|country|eu|region|data\s*cent(?:er|re)|system|environment)\b"
            r"|(?:stays?|remain)\s+(?:with)?in\s+(?:our|the\s+company)"
            r"|no\s+cross[- ]border|data\s+residency|for\s+your\s+eyes\s+only)"
        ),
        triggers=(
            "keep",
            "not",
            "n't",
            "never",
            "local",
            "prem",
            "device",
            "offline",
            "leave",
            "stay",
            "remain",
            "border",
            "residency",
            "eyes only",
        ),
    ),
    CategoryRule(
        category=Category.PROPRIETARY_CODE,
        pattern=re.compile(
            rf"(?:{_OWNER}|{_SECRET})\s+(?:[\w-]+\s+){{0,3}}?"
            r"(?:code\s*base|codebase|source(?:\s+code)?|code|repo(?:sitory)?|monorepo|sdk"
            r"|microservices?|services?|modules?|algorithms?|pipelines?|libraries|library"
            r"|implementation|firmware|backend|api)\b"
            r"|private\s+(?:github|gitlab|bitbucket|repo(?:sitory)?|code\s*base)"
        ),
        triggers=(
            "our",
            "compan",
            "internal",
            "proprietary",
            "confidential",
            "private",
            "in-house",
            "in house",
            "non-public",
            "closed",
        ),
    ),
    CategoryRule(
        category=Category.INTERNAL_DOCUMENT,
        pattern=re.compile(
            rf"(?:{_OWNER}|{_SECRET})\s+(?:[\w-]+\s+){{0,2}}?"
            r"(?:memos?|documents?|docs?|notes|reports?|runbooks?|post-?mortems?|rfcs?|wiki"
            r"|emails?|minutes|transcripts?|roadmaps?|strategy|presentations?|decks?"
            r"|spreadsheets?|financials|projections|slides|policies|playbooks?|audit)\b"
            r"|(?:board|all-hands|leadership|executive|exec)\s+(?:\w+\s+)?"
            r"(?:meeting|sync|memo|minutes|notes|deck)"
            r"|do\s+not\s+(?:distribute|forward|share)\b|attorney[- ]client\b"
        ),
        triggers=(
            "our",
            "compan",
            "internal",
            "proprietary",
            "confidential",
            "board",
            "all-hands",
            "leadership",
            "exec",
            "distribute",
            "forward",
            "attorney",
            "non-public",
            "private",
            "in-house",
        ),
    ),
    # A confidentiality label on the request's own content ("Confidential:", "strictly
    # internal", "under embargo", "we haven't announced it yet", "Vertraulich!", "Riservato
    # -"): the writer says it must not go out. Labels, not the topic: "what does
    # confidential mean?" or "a confidentiality agreement template" match none.
    CategoryRule(
        category=Category.INTERNAL_DOCUMENT,
        pattern=re.compile(
            r"(?:strictly|highly|company|commercially|business)[\s-]+confidential\b"
            rf"|confidential(?:\s*(?:[:!{_DASHES}]|-\s)|\s+until\b|\s+(?:hr|draft|figures"
            r"|numbers|planning|memo|report)\b)"
            # (Not "internal only", "for internal use" or "do not leak" alone: changelogs,
            # licences and code comments are full of them.)
            r"|(?:is|are|it's)\s+(?:strictly\s+|highly\s+)?(?:confidential|internal[\s-]+only"
            rf"|strictly\s+internal|under\s+embargo)\b|(?:-|[:{_DASHES}])\s+strictly\s+internal\b"
            r"|under\s+embargo|embargoed\s+until"
        ),
        triggers=("confiden", "intern", "embargo"),
    ),
    CategoryRule(
        category=Category.INTERNAL_DOCUMENT,
        pattern=re.compile(
            r"(?:we|i)\s+(?:haven'?t|have\s+not)\s+(?:yet\s+)?(?:announced|published|disclosed"
            r"|communicated)\b|not\s+(?:yet\s+)?(?:been\s+)?(?:announced|communicated|disclosed"
            r"|shared)\s+(?:to|with)\s+(?:staff|employees|the\s+(?:team|staff|unions?|market"
            r"|board|press))\b"
        ),
        triggers=("announced", "published", "disclosed", "communicated", "shared"),
    ),
    # Labels said as people say them, not as documents print them: "we're under NDA with
    # Harlow", "sous NDA avec", "nobody outside this channel", "our internal name for",
    # "Intern, nicht weitergeben:", "niet extern delen". Only first-person statements about a
    # deal or the sender's own material and words that name the outside; review 15 showed
    # that idioms and negated verbs ("our exam results aren't out yet", "keep it to
    # yourself", "Between us: a poem", "Outlook kann nicht weiterleiten", "no divulgar datos
    # personales", 極秘任務) are everyday prompts, so those are left out.
    CategoryRule(
        category=Category.INTERNAL_DOCUMENT,
        pattern=re.compile(
            rf"(?:we[{_APOSTROPHES}]?re|we\s+are|i[{_APOSTROPHES}]?m|i\s+am)\s+(?:still\s+)?"
            r"under\s+(?:an?\s+|the\s+)?(?:nda|non-disclosure(?:\s+agreement)?)\b"
            r"|(?:under|signed)\s+(?:an?\s+)?nda\s+with\b"
            rf"|off\s+the\s+record\s*[:{_DASHES}]|keep\s+this\s+between\s+us\b"
            rf"|don[{_APOSTROPHES}]?t\s+tell\s+anyone\s+(?:yet\s*)?,?\s*but\s+(?:our|we)\b"
            r"|(?:nobody|no\s+one|no-one)\s+outside\s+(?:this|the|our)\s+"
            r"(?:channel|thread|leadership\s+team|exec\s+team)\b"
            r"|must\s+not\s+leave\s+(?:leadership|the\s+board|this\s+(?:channel|thread))\b"
            r"|our\s+(?:internal\s+(?:code\s*-?)?name|code\s*-?name)\s+for\b"
        ),
        triggers=("under", "signed", "outside", "leave", "our", "record", "between", "tell"),
    ),
    # The same in German, French, Spanish, Portuguese, Italian, Dutch, Polish, and the stamps
    # of Japanese, Korean and Chinese offices (社外秘 "not outside the company").
    CategoryRule(
        category=Category.INTERNAL_DOCUMENT,
        pattern=re.compile(
            rf"intern\s*[,:{_DASHES}]?\s*nicht\s+weitergeben|nicht\s+weitergeben\s*[:!{_DASHES}]"
            rf"|ne\s+pas\s+diffuser\s*[:!{_DASHES}]|nicht\s+(?:nach\s+)?(?:extern|außen)"
            r"\s+(?:geben|weitergeben|teilen|tragen)\b"
            rf"|ne\s+pas\s+partager\s+(?:à\s+l[{_APOSTROPHES}]extérieur|en\s+externe)"
            r"|(?:sous|bajo|sotto|onder|pod|sob|unter)\s+nda\s+(?:avec|con|met|z|com|mit)\b"
            r"|no\s+compartir\s+(?:fuera|externamente)"
            r"|não\s+(?:partilhar|compartilhar|divulgar)\s+(?:fora|externamente)"
            rf"|non\s+condividere\s+(?:all[{_APOSTROPHES}]esterno|esternamente)"
            r"|niet\s+extern\s+(?:delen|verspreiden)|nie\s+udostępniać\s+na\s+zewnątrz"
            r"|社外秘|部外秘|社内限り|대외비|请勿外传|請勿外傳"
        ),
        triggers=(
            "nicht",
            "ne pas",
            "nda",
            "no compartir",
            "não",
            "non condividere",
            "niet extern",
            "nie udost",
            "社外秘",
            "部外秘",
            "社内限り",
            "대외비",
            "外传",
            "外傳",
        ),
    ),
    # The same labels in German, French, Spanish / Portuguese, Italian, Dutch, Polish. (Split
    # from the English ones, and the dashes written as characters, not `\u` escapes, which
    # the prefilter cannot translate: unfiltered, the first version cost 0.1 ms per 1,000
    # tokens of prose.)
    CategoryRule(
        category=Category.INTERNAL_DOCUMENT,
        pattern=re.compile(
            r"(?:streng\s+)?vertraulich\b|nur\s+(?:für\s+den\s+)?internen?\s+gebrauch"
            r"|geheim\s+bis\b|noch\s+nicht\s+(?:veröffentlicht|bekannt\s*gegeben|kommuniziert)"
            r"|(?:strictement\s+|est\s+|sont\s+)confidentiel"
            rf"|confidentiel(?:le)?s?\s*(?:[:!{_DASHES}]|-\s)"
            r"|usage\s+interne|diffusion\s+restreinte|pas\s+encore\s+(?:été\s+)?(?:annoncé"
            r"|communiqué|publié)"
            r"|(?:estrictamente\s+|es\s+|son\s+)confidencial"
            rf"|confidencial(?:es)?\s*(?:[:!{_DASHES}]|-\s)"
            r"|uso\s+interno|(?:aún|todavía)\s+no\s+se\s+ha\s+(?:comunicado|anunciado|publicado)"
            r"|ainda\s+não\s+(?:foi\s+)?(?:anunciad|divulgad|comunicad)"
            r"|(?:strettamente\s+|è\s+|sono\s+)riservat[oaie]"
            rf"|riservat[oaie]\s*(?:[:!{_DASHES}]|-\s)"
            r"|non\s+ancora\s+(?:comunicat|annunciat|pubblicat)"
            r"|(?:strikt\s+)?vertrouwelijk\b|intern\s+gebruik|poufne\b|ściśle\s+tajne"
        ),
        triggers=(
            "vertraulich",
            "gebrauch",
            "geheim",
            "noch nicht",
            "confidenci",
            "confidentiel",
            "interne",
            "restreinte",
            "pas encore",
            "uso interno",
            "no se ha",
            "ainda",
            "riservat",
            "ancora",
            "vertrouwelijk",
            "intern gebruik",
            "poufne",
            "tajne",
        ),
    ),
    CategoryRule(
        category=Category.HEALTH,
        pattern=re.compile(
            r"(?:diagnos(?:is|ed|es)|prescri(?:bed|ption)s?|medications?|symptoms?"
            r"|patients?|therap(?:y|ist)|psychiatr\w+|mental\s+health|depression|anxiety\s+disorder"
            r"|hiv|cancer|tumou?r|chemotherapy|diabet\w+|pregnan\w+|surgery|medical\s+"
            r"(?:history|records?|condition)|blood\s+(?:pressure|test|work)|lab\s+results?"
            r"|adhd|insulin|dosage|hospitali[sz]ed|treatment\s+plan)\b"
        ),
        triggers=(
            "diagnos",
            "prescri",
            "medica",
            "symptom",
            "patient",
            "therap",
            "psychiatr",
            "mental",
            "depression",
            "anxiety",
            "hiv",
            "cancer",
            "tumo",
            "chemo",
            "diabet",
            "pregnan",
            "surgery",
            "blood",
            "lab result",
            "adhd",
            "insulin",
            "dosage",
            "hospital",
            "treatment",
        ),
    ),
    CategoryRule(
        category=Category.FINANCE,
        pattern=re.compile(
            r"(?:bank\s+(?:account|statement|balance|details)|credit\s+(?:card|score|report)"
            r"|debit\s+card|mortgage|salary|payroll|tax\s+(?:return|id)|wire\s+transfer|iban"
            r"|routing\s+number|net\s+worth|brokerage|account\s+balance|loan\s+application)\b"
        ),
        triggers=(
            "bank",
            "credit",
            "debit",
            "mortgage",
            "salary",
            "payroll",
            "tax",
            "wire",
            "iban",
            "routing",
            "net worth",
            "brokerage",
            "balance",
            "loan",
        ),
    ),
    CategoryRule(
        category=Category.LEGAL,
        pattern=re.compile(
            r"(?:lawsuit|litigation|my\s+(?:attorney|lawyer)|subpoena|court\s+(?:case|order"
            r"|filing|date)|plaintiff|defendant|indict(?:ed|ment)|criminal\s+record|custody"
            r"|divorce|non-disclosure|legal\s+(?:advice|case|matter|dispute)|immigration\s+status"
            r"|visa\s+status|arrest(?:ed)?)\b"
        ),
        triggers=(
            "lawsuit",
            "litigation",
            "attorney",
            "lawyer",
            "subpoena",
            "court",
            "plaintiff",
            "defendant",
            "indict",
            "criminal",
            "custody",
            "divorce",
            "disclosure",
            "legal",
            "immigration",
            "visa",
            "arrest",
        ),
    ),
    CategoryRule(
        category=Category.HR,
        pattern=re.compile(
            r"(?:performance\s+(?:review|improvement\s+plan)|disciplinary|severance"
            r"|layoffs?|employee\s+(?:records?|files?|ids?|data|directory|list|reviews?)"
            r"|compensation\s+(?:data|review|benchmark\w*)|harass(?:ment|ed)|grievance"
            r"|background\s+check|hr\s+(?:case|complaint|files?|records?|export|data)"
            r"|(?:fire|terminate|dismiss)\s+(?:him|her|them|an?\s+employee|my\s+\w+)"
            # Warnings and dismissals, also in German, Spanish, French, Dutch.
            r"|(?:formal|written|verbal|final)\s+warning|warning\s+letter"
            # (Not "fired": handlers and cron jobs are, and biographies' fathers.)
            r"|termination\s+letter|(?:got|been|being|get|was)\s+(?:let\s+go|sacked)"
            r"|abmahnung|amonestaci[óo]n|licenciement|despido|ontslagen)\b"
        ),
        triggers=(
            "performance",
            "disciplinary",
            "severance",
            "layoff",
            "employee",
            "compensation",
            "harass",
            "grievance",
            "background",
            "hr ",
            "fire",
            "terminate",
            "dismiss",
            "warning",
            "termination",
            "let go",
            "sacked",
            "abmahnung",
            "amonestaci",
            "licenciement",
            "despido",
            "ontslagen",
        ),
    ),
)

# Hyperscan sees the rule without its leading boundary character (a superset: the text has no
# space in front of its first word).
_DEFAULT_FILTER = Prefilter(
    [FilterPattern(r.pattern, caseless=True, windowed=True, starts=True) for r in DEFAULT_RULES]
)
