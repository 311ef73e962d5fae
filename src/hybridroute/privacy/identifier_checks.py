"""Checks that confirm a structured-identifier match and give its confidence: checksums
(Luhn, mod-97, ABA, SSN ranges), the context words before or after it, and its shape.

A check receives the match, the text and the lower-cased text (same offsets); it returns a
confidence, or a confidence with a corrected (start, end) span, or None to reject the match.
"""

from __future__ import annotations

import base64
import re

from hybridroute.privacy import checksums
from hybridroute.privacy.matching import WORD_CHAR
from hybridroute.privacy.pattern_recognizer import Check


def context_before(lowered: str, start: int, words: re.Pattern[str], window: int = 48) -> bool:
    """One of `words` occurs on the same line within `window` characters before `start`."""
    left = max(0, start - window)
    line = lowered.rfind("\n", left, start)
    return words.search(lowered, line + 1 if line >= 0 else left, start) is not None


def card(match: re.Match[str], text: str, lowered: str) -> float | tuple[float, int, int] | None:
    verdict = _card(match, lowered, match.end())
    if verdict is not None:
        return verdict
    # A grouped number the pattern ran on past ("4247 9614 6284 8548 11/28": the expiry's
    # month joined it): the card may end at an earlier group boundary.
    # Only a prefix in a card's own grouping counts: a random run cut at will would pass
    # Luhn one time in ten.
    value = match.group(0)
    cut = value.rfind(" ")
    while cut > 0:
        end = match.start() + cut
        if _CARD_GROUPS.fullmatch(value[:cut]):
            verdict = _card(match, lowered, end)
            if verdict is not None:
                return verdict, match.start(), end
        cut = value.rfind(" ", 0, cut)
    return None


def card_after_label(
    match: re.Match[str], text: str, lowered: str
) -> float | tuple[float, int, int] | None:
    """`card` right after a label's joiner ("no.4111…", "card_no_4222…"): only with a card
    keyword as a word of its own ("cc" is inside "MusicCollection-1576629651520"), not in an
    identifier ("IMG_4519961983914549.jpg", "order-5330361481100457", review 17)."""
    if not context_before(lowered, match.start(), _CARD_WORD):
        return None
    return card(match, text, lowered)


def _card(match: re.Match[str], lowered: str, end: int) -> float | None:
    """The card check on `lowered[match.start():end]`."""
    number = checksums.digits_of(lowered[match.start() : end])
    if not 12 <= len(number) <= 19 or not checksums.luhn_valid(number):
        return None
    if len(set(number)) == 1:
        return None
    in_context = context_before(lowered, match.start(), _CARD_CONTEXT)
    if _glued_to_letters(match, lowered) and not _plausible_glued_card(match, lowered, in_context):
        return None
    if checksums.card_issuer_known(number) and (len(number) >= 13 or in_context):
        return 1.0
    return 0.9 if in_context else None


def _glued_to_letters(match: re.Match[str], lowered: str) -> bool:
    start, end = match.span()
    return (start > 0 and lowered[start - 1].isalpha()) or (
        end < len(lowered) and lowered[end].isalpha()
    )


def _plausible_glued_card(match: re.Match[str], lowered: str, in_context: bool) -> bool:
    """A card number run together with words ("…1111exp", "card4111…") rather than a digit
    run inside a hex string (hashes, UUIDs): a card keyword or the number written in groups,
    and every touching run of letters has a letter outside a-f."""
    value = match.group(0)
    if not (in_context or " " in value or "-" in value):
        return False
    before = _LETTERS_BEFORE.search(lowered, 0, match.start())
    after = _LETTERS.match(lowered, match.end())
    return all(run is None or not _HEX_LETTERS.fullmatch(run.group()) for run in (before, after))


def ssn(match: re.Match[str], text: str, lowered: str) -> float | None:
    if not checksums.ssn_valid(match["area"], match["group"], match["serial"]):
        return None
    in_context = context_before(lowered, match.start(), _SSN_CONTEXT)
    if match["sep"] == "-":
        return 1.0 if in_context else 0.9
    return 1.0 if in_context else None


def ssn_after_keyword(match: re.Match[str], text: str, lowered: str) -> float | None:
    return 1.0 if checksums.ssn_valid(match["area"], match["group"], match["serial"]) else None


def iban(match: re.Match[str], text: str, lowered: str) -> tuple[float, int, int] | None:
    found = _iban_from(match.start(), match.end(), text, lowered)
    if found is not None:
        return found
    # The pattern may have started on digits before the IBAN ("€120 naar BE66 3104…": "20
    # naar be66…" is a match of it) and then swallowed it: try each later country code in
    # the match.
    for later in _COUNTRY_AND_CHECK.finditer(lowered, match.start() + 1, match.end()):
        found = _iban_from(later.start() + 2, match.end(), text, lowered)
        if found is not None:
            return found
    return None


def _iban_from(at: int, end: int, text: str, lowered: str) -> tuple[float, int, int] | None:
    """An IBAN whose check digits start at `at` and that ends by `end`."""
    start = at - 2
    if start < 0 or not lowered[start : start + 2].isalpha() or not lowered[start].isascii():
        return None
    if start > 0 and lowered[start - 1].isalnum():
        return None
    # A grouped IBAN may be followed by a 4-character word the pattern swallowed: drop
    # trailing groups until the checksum holds.
    value = text[start:end]
    while value:
        if checksums.iban_valid(value):
            return 1.0, start, start + len(value)
        cut = value.rfind(" ")
        if cut < 0:
            return None
        value = value[:cut]
    return None


def ipv4(match: re.Match[str], text: str, lowered: str) -> float | None:
    value = match.group(0)
    if not checksums.ip_valid(value) or context_before(lowered, match.start(), _SECTION, 12):
        return None  # "see section 4.2.1.3"
    # Private, loopback and documentation addresses identify no one outside a network.
    return 0.6 if checksums.ip_is_internal(value) else 0.95


def ipv6(match: re.Match[str], text: str, lowered: str) -> tuple[float, int, int] | None:
    # The pattern starts at the first colon: take in the hex group before it.
    start = match.start()
    while start > 0 and match.start() - start < 4 and lowered[start - 1] in _HEX:
        start -= 1
    if start > 0 and (WORD_CHAR.match(lowered, start - 1) or lowered[start - 1] in ".:"):
        return None
    value = text[start : match.end()]
    if not checksums.ip_valid(value) or sum(1 for part in value.split(":") if part) < 3:
        return None
    return (0.6 if checksums.ip_is_internal(value) else 0.95), start, match.end()


def email(match: re.Match[str], text: str, lowered: str) -> tuple[float, int, int] | None:
    # The pattern starts at "@" (or " @ ", spaced out): take in the local part before it.
    at = match.start()
    if at > 0 and text[at - 1] == " " and match.group(0).startswith("@ "):
        at -= 1
    start = at
    while start > 0 and _EMAIL_LOCAL.match(text, start - 1):
        start -= 1
    if text[start:at] == "git":  # `git@github.com:org/repo.git`: a Git host's SSH user
        return None
    return (1.0, start, match.end()) if start < at else None


def written_out_email(
    match: re.Match[str], text: str, lowered: str
) -> tuple[float, int, int] | None:
    """The local part before "(at)" or " at "; the bare-word form only with a dot,
    underscore or digit in it ("look at the dot product" is English)."""
    start = match.start()
    bare = match.group(0).startswith("at ")
    if start > 0 and lowered[start - 1] == " ":
        start -= 1
    elif bare:
        return None  # "that example dot com": "at" inside a word
    local_end = start
    while start > 0 and _EMAIL_LOCAL.match(lowered, start - 1):
        start -= 1
    local = lowered[start:local_end]
    if not local or not local[0].isalnum() or (bare and not _MARKED_LOCAL.search(local)):
        return None
    return 0.9, start, match.end()


def password(match: re.Match[str], text: str, lowered: str) -> float | None:
    """A value after a password keyword, unless it is a placeholder, a type or code, or an
    English word describing the password ("the password is incorrect"). Without a digit a
    value counts only in prose shapes: quoted, after a colon on the same line, or ending the
    sentence after "is"; `password = auth` and `if password:` are code."""
    quoted = match["q"] is not None
    value = match["q"] if quoted else match["v"]
    sep = match["sep"]
    if _TEMPLATE.match(value) or len(set(value)) == 1:  # "<password>", "${PW}", "****"
        return None
    if "=>" in sep and _VALIDATION_RULES.search(value):  # Laravel's `'password' => 'min:8'`
        return None
    if any(ch.isdigit() for ch in value):  # "password1" is a (weak) password
        if match["key"] not in _SHORT_KEYS or sep.strip() in (":", "="):
            return 0.95
        # "the wifi pass is CoffeeShop2024", but not "the second pass is O2" (nor quoted).
        if quoted:
            return None
        return 0.9 if _looks_strong(value, text[match.start("v") : match.end("v")]) else None
    value = value.rstrip("!")  # "the password is wrong!"
    if _PASSWORD_PLACEHOLDER.search(value) or not value:
        return None
    if match["key"] in _SHORT_KEYS:  # "first pass: look at..."
        return None
    if sep.split()[0:1] not in ([], [":"], ["="], ["is"], ["was"]):
        return None  # "ist", "es", "est"...: without a digit, English's value lists do not apply
    if quoted:
        words = value.split()
        if len(words) > 4 or any(w in _PASSWORD_PROMPT_WORDS for w in words):
            return None
        return 0.9
    raw = text[match.start("v") : match.end("v")]
    if (
        "\n" in sep
        or "=" in sep
        or value.rstrip(":") in _PASSWORD_NOT_VALUES
        or _CODE_IDENTIFIER.fullmatch(value)
        or _CAMEL_CASE.search(raw)
    ):
        return None
    # Only a value that ends its line or sentence: after "is" English usually goes on ("is
    # stored hashed"), and after a colon so do docstrings ("password: HTTP Basic Auth
    # password.") and code (`password: str | None`).
    if not _SENTENCE_END.match(lowered, match.end()):
        return None
    return 0.9 if ":" in sep else 0.85


def password_in_identifier(match: re.Match[str], text: str, lowered: str) -> float | None:
    """`password` for a keyword at the end of an identifier: after "_" (`DB_PASSWORD=`,
    `ansible_ssh_pass=`), as its capitalised last part (`dbPassword`, `adminPassword`), or a
    whole password word in capitals after others (`PGPASSWORD`; not `BYPASS`)."""
    start, end = match.span("key")
    before, key = text[start - 1 : start], text[start:end]
    camel = (before.islower() or before.isdigit()) and key[:1].isupper()
    capitals = before.isupper() and key.isupper() and len(key) > 4
    if not (before == "_" or camel or capitals):
        return None
    return password(match, text, lowered)


def command_password(match: re.Match[str], text: str, lowered: str) -> float | None:
    """A password after its command's flag, unless it is a variable, a placeholder or another
    flag (`curl -u "$USER:$TOKEN"`, `curl -u user:password`, `net user bob /delete`)."""
    value = match["v"]
    if value[0] in "-/" or _TEMPLATE.match(value) or len(set(value)) == 1:
        return None
    if _PASSWORD_PLACEHOLDER.search(value.lower()) or value.lower() in _COMMAND_PLACEHOLDERS:
        return None
    return 0.95


def strong_password(match: re.Match[str], text: str, lowered: str) -> float | None:
    """A value that looks like a password by itself, for shapes where the keyword alone is
    weak evidence ("password P@ssw0rd"): letters and a digit, not all capitals (`VARCHAR2`,
    `INC0012345`, `WPA2`), no hex string (a commit), and none of `-_./:=\\`, which join
    technical tokens (`base64-encoded`, `pbkdf2_sha256`, `min_length=8`, a date, a path);
    nor an algorithm or size ("sha256", "argon2id", "128bit"), a placeholder or a template."""
    return 0.9 if _looks_strong(match["v"], text[match.start("v") : match.end("v")]) else None


def strong_password_in_compound(match: re.Match[str], text: str, lowered: str) -> float | None:
    """`strong_password` after a German compound ending in the keyword ("Initialkennwort
    lautet: …", "WLAN-Passwort: …"); the recognizer matches the keyword anywhere."""
    before = lowered[match.start() - 1 : match.start()]
    if not (before.isalpha() or before == "-"):
        return None
    return strong_password(match, text, lowered)


def looks_like_password(raw: str) -> bool:
    """`raw`, found without a keyword next to it (a table's password column), passes
    `strong_password`'s rules and is no spaced phrase."""
    return " " not in raw and 4 <= len(raw) <= 64 and _looks_strong(raw.lower(), raw)


def _looks_strong(value: str, raw: str) -> bool:
    """`value` (lower-cased; `raw` as written) passes `strong_password`'s rules."""
    if not (any(c.isdigit() for c in value) and any(c.isalpha() for c in value)):
        return False
    if raw.upper() == raw or _HEX_RUN.fullmatch(value):
        return False
    # `-_./:=\` join technical tokens (`pbkdf2_sha256`, `min_length=8`, a path, a date,
    # `WPA2-Personal`, `SHA1-hashed`), which are lower case or hold an acronym; a password
    # with them mixes cases ("Gelato_Limone_7", "J4va_Spr1ng!").
    # ... unless a symbol no technical token carries marks it ("J3nk!ns-adm1n-Q3").
    if _TECH_JOINERS.search(value) and (
        raw.lower() == raw
        or _TECH_PUNCTUATION.search(value)
        or (_ACRONYM_PART.search(raw) and not _PASSWORD_SYMBOL.search(value))
    ):
        return False
    return not (
        _TEMPLATE.match(value) or _PASSWORD_PLACEHOLDER.search(value) or _TECHNICAL.fullmatch(value)
    )


def short_secret(match: re.Match[str], text: str, lowered: str) -> float | None:
    """A secret of 8-11 characters after an upper-case `…_SECRET=`: letters and digits, not a
    placeholder or a template (`${{ secrets.X }}`), a duration or a size (`3600s`, `512MB`)."""
    value = match["v"]
    if _TEMPLATE.match(value) or _SIZE_OR_DURATION.fullmatch(value):
        return None
    lowered_value = value.lower()
    if _PASSWORD_PLACEHOLDER.search(lowered_value) or lowered_value in _COMMAND_PLACEHOLDERS:
        return None
    return secret_value(match, text, lowered)


def has_digits(minimum: int) -> Check:
    def check(match: re.Match[str], text: str, lowered: str) -> float | None:
        value = match["v"] if "v" in match.re.groupindex else match.group(0)
        return 0.9 if sum(ch.isdigit() for ch in value) >= minimum else None

    return check


def street_line(match: re.Match[str], text: str, lowered: str) -> tuple[float, int, int] | None:
    """A compound street name ending in the matched street word ("Friedhof|strasse 33"), or
    a name before a separate one ("Rákóczi út 66"): walk back to a capitalised word start,
    and reject English words that only end like a street ("Brigade 5")."""
    start = match.start()
    if text[start - 1 : start] == " ":  # a separate street word: the name is the word before
        start -= 1
    while start > 0 and text[start - 1].isalpha():
        start -= 1
    if start == match.start() - 1 or (start > 0 and _WORD_JOINER.match(text, start - 1)):
        return None
    if not text[start].isupper():
        return None
    word = lowered[start : match.end()].split(None, 1)[0]
    if word in _ENGLISH_STREET_LOOKALIKES:
        return None
    return 0.8, start, match.end()


def routing(match: re.Match[str], text: str, lowered: str) -> float | None:
    return 1.0 if checksums.aba_routing_valid(match["v"]) else None


def routing_pair(match: re.Match[str], text: str, lowered: str) -> float | None:
    """A routing number and its account as one value: the routing number's check digit, the
    pair written with "/" or a bank's word between "routing" and it ("routing number",
    "account", "deposit"), and no second routing number (a list of public ones; review 17)."""
    if not checksums.aba_routing_valid(match["aba"]):
        return None
    second = checksums.digits_of(match["v"])[9:]
    if len(second) == 9 and checksums.aba_routing_valid(second):
        return None
    words = lowered[match.start("k") : match.start("v")]
    if "/" not in match["v"] and not _BANK_WORDS.search(words):
        return None
    return 0.95


def postal_label(match: re.Match[str], text: str, lowered: str) -> float | None:
    """An address label that names a postal address: not "IP address:", "E-Mail-Adresse:"."""
    before = lowered[max(0, match.start() - 12) : match.start()]
    return None if _NOT_POSTAL.search(before) else 0.8


def secret_value(match: re.Match[str], text: str, lowered: str) -> float | None:
    """Letters and digits, and not a call (`token = b64encode(userpass)`)."""
    value = match["v"]
    if not (any(c.isdigit() for c in value) and any(c.isalpha() for c in value)):
        return None
    if lowered.startswith("(", match.end("v")):
        return None
    return 0.9


def basic_credentials(match: re.Match[str], text: str, lowered: str) -> float | None:
    """An HTTP basic credential: the value as written decodes to printable "user:password"
    (not a placeholder such as `<base64>`, or `$TOKEN`, which the pattern leaves out)."""
    raw = text[match.start("v") : match.end("v")]
    try:
        decoded = base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    user, colon, password = decoded.partition(":")
    if not (colon and user and password and decoded.isprintable()):
        return None
    # The RFC's "Aladdin:open sesame", docs' "user:password", "admin:admin", "foo:bar".
    lowered_password = password.lower()
    if (
        lowered_password == user.lower()
        or lowered_password in _COMMAND_PLACEHOLDERS
        or lowered_password in _BASIC_EXAMPLES
    ):
        return None
    return 0.95


def name(match: re.Match[str], text: str, lowered: str) -> tuple[float, int, int] | None:
    # Keep the leading capitalised words: "Dear John Smith, thanks" -> "John Smith".
    start = match.start("v")
    if _IDENTIFIER.fullmatch(text, start, match.end("v")):
        return None  # `- name: DB_PASSWORD` in a Kubernetes manifest
    end = start
    for word in _WORD.finditer(text, start, match.end("v")):
        if not word.group(0)[0].isupper():
            break
        end = word.end()
    return (0.9, start, end) if end > start else None


_HEX = frozenset("0123456789abcdef")
_HEX_LETTERS = re.compile(r"[a-f]+")
_LETTERS = re.compile(r"[^\W\d_]+")
_LETTERS_BEFORE = re.compile(r"[^\W\d_]+$")
_EMAIL_LOCAL = re.compile(r"[\w.%+-]")
_MARKED_LOCAL = re.compile(r"[._0-9]")
_WORD = re.compile(r"[^\s.,;:!?]+")

# Password values that are templates or placeholders, not secrets.
_TEMPLATE = re.compile(r"[<{$%*]")
# Password keywords that are also English words ("a boarding pass", "the first pass") or a
# network term (WPA's pre-shared key): a value only after ":" or "=", or a strong one after "is".
_SHORT_KEYS = frozenset({"pass", "pw", "psk", "clave"})
_PASSWORD_PLACEHOLDER = re.compile(
    r"^(?:your|my|the|new|old|user|db|admin)?[_-]?pass|^x+$|\.\.\.|^(?:none|null|nil)$"
)
# Unquoted words after a password keyword that describe it or are code, not a value.
_PASSWORD_NOT_VALUES = frozenset(
    """
    str string text char varchar bytes int integer bool boolean any number object optional
    required true false undefined hidden secret field input value type entered provided
    incorrect wrong invalid expired correct weak strong empty blank missing encrypted hashed
    stored saved changed reset set needed mandatory visible unknown forgotten lost compromised
    leaked protected different same secure insecure long short too not case-sensitive also
    still now always never only usually what which this that here there below above enter
    confirm please must should will can your the and for with
    """.split()
)
# Quoted text after a password keyword that is a form's prompt ("Enter your password").
_PASSWORD_PROMPT_WORDS = frozenset(
    "enter your type confirm new please here password passphrase required invalid incorrect wrong"
    " missing expired".split()
)
_CODE_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+|[a-z]+_[a-z_]+|[a-z]+:")
_CAMEL_CASE = re.compile(r"[a-z][A-Z]")
# Algorithms, encodings and versions that follow "password" in technical prose.
_TECHNICAL = re.compile(
    r"(?:sha|md|utf|base|pbkdf|argon|bcrypt|scrypt|ipv|http|tls|ssl|oauth|python|py|crc|aes|rsa"
    r"|ecdsa|ed|x|v|version|rfc|iso|owasp|nist|fido|webauthn|u2f|totp|hotp|1password)"
    r"[-.]?\d+(?:[-.]\d+)*(?:id|i|d|j|k)?|\d+(?:fa|mfa|k|x|chars?|characters?|digits?|bits?)"
)
_COMMAND_PLACEHOLDERS = frozenset(
    "password passwd pwd secret token key apikey api_key pw pass mypassword yourpassword "
    "p@ssw0rd? x xx xxx".split()
)
_BASIC_EXAMPLES = frozenset(
    {"open sesame", "changeme", "secret123", "password123", "bar", "baz", "pass123", "test123"}
    | {"1234", "12345", "123456"}
)
_SIZE_OR_DURATION = re.compile(r"\d+(?:\.\d+)?[a-zA-Z]{1,3}")
_TECH_JOINERS = re.compile(r"[-_./:=\\]")
_TECH_PUNCTUATION = re.compile(r"[/:=\\]|\.\w")
_ACRONYM_PART = re.compile(r"(?:^|[-_])[A-Z]{2,}\d*(?:[-_]|$)|(?:^|[-_])[A-Z]+\d+[A-Z]*(?:[-_]|$)")
# Words that make an address label name something other than a place ("IP address:"); also
# before the CJK labels (`cjk_addresses`): server, memory, register, return, function,
# target, device, download, stream, wallet, mail, web, link, host.
_NOT_POSTAL = re.compile(
    r"(?:e-?mail|mail|ip|ipv[46]|mac|web|wallet|server|memory|host|url|bitcoin|btc|eth"
    r"|contract|hardware|network|ethernet|ip-|gateway|start|end|base|block|broadcast|loopback"
    r"|multicast|physical|virtual|bus|i2c|device|register"
    r"|服务器|伺服器|服務器|内存|記憶體|寄存器|返回|函数|函數|目标|目標|设备|設備|下载|下載|直播"
    r"|钱包|錢包|邮件|郵件|邮箱|郵箱|网站|網站|网页|網頁|链接|連結|主机|主機|メール|サーバ)[ \t-]?$"
)
_BANK_WORDS = re.compile(r"routing\s*(?:number|no|#)|account|acct|deposit|bank|wire")
_VALIDATION_RULES = re.compile(
    r"(?:^|\|)(?:required|nullable|sometimes|string|confirmed|min:|max:|size:|between:)"
)
_HEX_RUN = re.compile(r"[0-9a-f]{7,}")
_PASSWORD_SYMBOL = re.compile(r"[!#^~]")
_SENTENCE_END = re.compile(r"[ \t]*(?:[.!?,;](?:\s|$)|\n|$)")

CARD_WORDS = ("card", "cc", "visa", "mastercard", "amex", "credit", "debit", "payment", "pan")
SSN_WORDS = ("ssn", "social security", "social sec", "ss#", "taxpayer", "tin")


def any_of(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(w) for w in words))


# Where an IBAN may start inside a longer match: a word's two letters, then two digits.
_COUNTRY_AND_CHECK = re.compile(r"(?<![a-z0-9])[a-z]{2}\d{2}")
# A card number as printed: 4-4-4-4 (and 4-4-4-4-3), or American Express's 4-6-5.
_CARD_GROUPS = re.compile(r"\d{4}(?: \d{4}){3}(?: \d{3})?|\d{4} \d{6} \d{5}")
_CARD_CONTEXT = any_of(CARD_WORDS)
_CARD_WORD = re.compile(rf"(?<![a-z])(?:{_CARD_CONTEXT.pattern})(?![a-z])")
_SSN_CONTEXT = any_of(SSN_WORDS)
_SECTION = re.compile(r"\b(?:section|sec\.|chapter|clause|§|version|v)\s*$")
# A word with "_" or in capitals only, or with a digit: a code name, not a person's.
_IDENTIFIER = re.compile(r"\w*(?:_|\d)\w*|[A-Z]{2,}\b.*")
_ENGLISH_STREET_LOOKALIKES = frozenset({"brigade", "renegade", "escapade", "motorcade"})
_WORD_JOINER = re.compile(r"[\w'-]")
