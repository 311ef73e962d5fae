"""Recognizers for secrets: private keys, providers' API keys and tokens, and passwords in
the shapes people write them (after a keyword, in config and env files, on command lines).

Part of `recognizers.default_recognizers`; the checks that confirm a match are in
`identifier_checks.py`.
"""

from __future__ import annotations

import re

from hybridroute.privacy import identifier_checks as checks
from hybridroute.privacy.entities import EntityType
from hybridroute.privacy.matching import WORD_CHAR
from hybridroute.privacy.pattern_recognizer import Check, PatternRecognizer


def secret_recognizers() -> tuple[PatternRecognizer, ...]:
    """Keys, tokens and passwords."""
    return (
        PatternRecognizer(
            entity=EntityType.PRIVATE_KEY,
            pattern=re.compile(
                r"-----BEGIN[A-Z ]*PRIVATE KEY(?: BLOCK)?-----.*?"
                r"(?:-----END[A-Z ]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
                re.DOTALL,
            ),
            score=1.0,
        ),
        PatternRecognizer(
            entity=EntityType.API_KEY,
            pattern=re.compile(
                r"(?:sk-(?:proj-|ant-(?:api\d\d-)?)?[A-Za-z0-9_-]{20,}"
                r"|(?:AKIA|ASIA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_\w{22,}"
                r"|xox[abposr]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}"
                r"|gl(?:pat|dt|rt|oas|ptt|ft|imt|soat|cbt)-[\w-]{20,}"  # GitLab's token kinds
                r"|hf_[A-Za-z0-9]{30,}|(?:sk|rk)_(?:live|test)_[0-9a-zA-Z]{16,}|npm_[A-Za-z0-9]{36}"
                r"|SG\.[\w-]{16,}\.[\w-]{16,})"
            ),
            score=1.0,
            triggers=API_KEY_PREFIXES,
            not_after=re.compile(r"[\w-]"),
        ),
        PatternRecognizer(
            entity=EntityType.API_KEY,
            # More providers' documented shapes: Slack webhooks, PyPI, DigitalOcean, Mailgun,
            # Notion, Firebase Cloud Messaging (legacy server keys).
            pattern=re.compile(
                r"(?:hooks\.slack\.com/services/T[A-Z0-9]{8,}/B[A-Z0-9]{8,}/[A-Za-z0-9]{20,}"
                r"|pypi-AgE[\w-]{50,}|do[opr]_v1_[0-9a-f]{64}|key-[0-9a-f]{32}"
                r"|(?:secret|ntn)_[A-Za-z0-9]{43,46}|AAAA[\w-]{7}:APA91b[\w-]{100,})"
            ),
            score=1.0,
            triggers=("hooks.slack.com", "pypi-age", "_v1_", "key-", "secret_", "ntn_", ":apa91b"),
            not_after=re.compile(r"[\w-]"),
        ),
        PatternRecognizer(
            entity=EntityType.API_KEY,
            # Atlassian API tokens, Brevo (Sendinblue) API and SMTP keys; webhook URLs whose
            # path is the secret: Discord, Microsoft Teams (Office 365 connectors), Zapier.
            pattern=re.compile(
                r"(?:AT[AC]TT3[\w=-]{100,}|x(?:key|smtp)sib-[0-9a-f]{64}-[A-Za-z0-9]{16}"
                r"|discord(?:app)?\.com/api/webhooks/\d{17,20}/[\w-]{60,68}"
                r"|webhook\.office\.com/webhookb2/[\w@-]{36,}/IncomingWebhook/[0-9a-f]{32}/[\w/-]+"
                r"|hooks\.zapier\.com/hooks/catch/\d+/\w+)"
            ),
            score=1.0,
            triggers=("atatt3", "atctt3", "sib-", "/api/webhooks/", "webhookb2", "hooks.zapier"),
            not_after=re.compile(r"[\w-]"),
        ),
        PatternRecognizer(
            entity=EntityType.PASSWORD,
            # HTTP basic authentication: base64 of "user:password".
            pattern=re.compile(r"authorization:?[ \t]*basic[ \t]+(?P<v>[a-z0-9+/]{8,}={0,2})"),
            score=0.95,
            check=checks.basic_credentials,
            lowered=True,
            not_after=WORD_CHAR,
        ),
        PatternRecognizer(
            entity=EntityType.API_KEY,
            # Telegram bot tokens: the bot's id, ":", "AA" and 33 more characters.
            pattern=re.compile(r"\d{8,10}:AA[\w-]{33}(?![\w-])"),
            score=1.0,
            needs_digit=True,
            not_after=re.compile(r"\d"),
        ),
        PatternRecognizer(
            entity=EntityType.API_KEY,
            # Discord bot tokens: the base64 user id (starting "M" or "N"), a timestamp and an
            # HMAC, joined by dots.
            pattern=re.compile(r"(?P<v>[MN][\w-]{23,25}\.[\w-]{6}\.[\w-]{27,38})(?![\w-])"),
            score=0.95,
            check=checks.secret_value,
            needs_digit=True,
            not_after=re.compile(r"[\w.-]"),
        ),
        PatternRecognizer(
            entity=EntityType.API_KEY,
            # Azure storage and Service Bus connection strings; Okta API tokens.
            pattern=re.compile(
                r"(?:(?:accountkey|sharedaccesskey)=|ssws\s+)(?P<v>[a-z0-9+/_-]{40,}={0,2})"
            ),
            score=1.0,
            lowered=True,
            triggers=("accountkey=", "sharedaccesskey=", "ssws"),
        ),
        PatternRecognizer(
            entity=EntityType.ACCESS_TOKEN,
            pattern=re.compile(r"eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}"),
            score=1.0,
            not_after=re.compile(r"[\w-]"),
        ),
        PatternRecognizer(
            entity=EntityType.ACCESS_TOKEN,
            pattern=re.compile(r"bearer\s+(?P<v>[a-z0-9._~+/-]{16,}=*)"),
            score=0.9,
            check=checks.secret_value,
            lowered=True,
            not_after=WORD_CHAR,
        ),
        PatternRecognizer(
            entity=EntityType.API_KEY,
            pattern=re.compile(
                r"(?:api[ _-]?key|apikey|secret(?:[_-]?key)?|access[_-]?key(?:[_-]?id)?"
                r"|client[_-]?secret|auth[_-]?token|access[_-]?token|token)"
                r"[\"']?(?:\s*[:=]\s*|\s+(?:is|was)\s+)[\"']?(?P<v>[a-z0-9_\-./+=]{12,})"
            ),
            score=0.9,
            check=checks.secret_value,
            triggers=("key", "secret", "token"),
            lowered=True,
        ),
        PatternRecognizer(
            entity=EntityType.API_KEY,
            # A short secret in an environment or config line, the keyword ending an
            # upper-case name (`JWT_SECRET=mysecret123`, `API_KEY=abc123de`); from 12
            # characters on the keyword recognizer above finds it anywhere.
            pattern=re.compile(
                r"(?<![\w-])[A-Z0-9_]*(?:SECRET|TOKEN|API_?KEY)[ \t]*[:=][ \t]*[\"']?"
                r"(?P<v>[^\s\"'#,;]{8,11})(?![^\s\"'#,;])"
            ),
            score=0.9,
            check=checks.short_secret,
            triggers=("secret", "token", "key"),
        ),
        PatternRecognizer(
            entity=EntityType.PASSWORD,
            pattern=re.compile(
                rf"(?P<key>{_PASSWORD_WORDS})[\"']?(?:\s+{_FOR}\s+[^\n:=\"']{{1,30}}?)?"
                rf"(?P<sep>\s*(?:=>|[:=])\s*|\s+{_IS}\s+){_PASSWORD_VALUE}"  # PHP's `=>`
            ),
            score=0.95,
            check=checks.password,
            lowered=True,
            not_after=WORD_CHAR,
            opener=_PASSWORD_OPENER,
        ),
        PatternRecognizer(
            entity=EntityType.PASSWORD,
            # The keyword ending an identifier: `DB_PASSWORD=`, `POSTGRES_PASSWORD: …`,
            # `{"dbPassword": …}` (the check reads the case of the original text).
            pattern=re.compile(
                rf"(?P<key>{_PASSWORD_WORDS})[\"']?(?P<sep>\s*[:=]\s*){_PASSWORD_VALUE}"
            ),
            score=0.95,
            check=checks.password_in_identifier,
            lowered=True,
            opener=_PASSWORD_OPENER,
        ),
        # The keyword opening an upper-case identifier: `SENHA_BANCO=…`, `PASSWORD_DB: …`.
        # Settings named so hold numbers and lists as well (`PASSWORD_RESET_TIMEOUT=259200`):
        # strong values only.
        PatternRecognizer(
            entity=EntityType.PASSWORD,
            pattern=re.compile(
                r"(?<![\w])(?:PASSWORD|PASSWD|PWD|SENHA|PASSWORT|KENNWORT|CONTRASENA|WACHTWOORD"
                r"|HASLO|SALASANA|PASSORD|LOSENORD)(?:_[A-Z0-9]+){1,3}[ \t]*[:=][ \t]*[\"']?"
                rf"(?P<v>{_LOOSE_VALUE})"
            ),
            score=0.9,
            check=checks.strong_password,
            needs_digit=True,
            triggers=tuple(f"{w}_" for w in _IDENTIFIER_KEYS),
        ),
        # Looser shapes, strong values only (`checks.strong_password`): "with password
        # P@ssw0rd", "the password was changed to Autumn2024", "reset my password to
        # Tr0ub4dor&3", "my password is now Winter2024!". Not after "pass", "pw", "pwd" or
        # "passwd", which are also English or commands (`sudo passwd student01`).
        _strong_password(
            rf"(?:{_LOOSE_PASSWORD_WORDS})"
            r"(?:(?:\s+(?:was|is|has\s+been))?\s+(?:changed|set|reset|updated)\s+to"
            r"|\s+to|\s+is\s+now|[ \t]*(?:->|=>|→)|'s|(?=[ \t]))"
            rf"[ \t]+{_OPEN_QUOTE}?(?P<v>{_LOOSE_VALUE})"
        ),
        # A few words about which password, then "is" in the keyword's language: "the
        # password I'm typing is Kitesurf#Maui22", "het wachtwoord van de NAS is …",
        # "lösenordet till kontot är …"; Polish "to" ("hasło do routera to …") only after
        # the Polish word ("send the password reset link to user42" is no password).
        _strong_password(
            rf"(?:{_LOOSE_PASSWORD_WORDS}|lösenordet|passordet|adgangskoden)"
            rf"{_FEW_WORDS}[ \t]+{_IS}[ \t]+{_OPEN_QUOTE}?(?P<v>{_LOOSE_VALUE})"
        ),
        # The password named again later in its sentence: "how do I change the wifi
        # password on a Fritzbox? the current one is Sonnenblume_Garten2019!".
        _strong_password(
            rf"(?:{_LOOSE_PASSWORD_WORDS})[^\n]{{0,120}}?(?:current|new|old|temporary|present)"
            rf"[ \t]+one[ \t]+{_IS}[ \t]+{_OPEN_QUOTE}?(?P<v>{_LOOSE_VALUE})"
        ),
        _strong_password(
            rf"has(?:ł|l)o{_FEW_WORDS}[ \t]+to[ \t]+{_OPEN_QUOTE}?(?P<v>{_LOOSE_VALUE})"
        ),
        # "router admin pw to 8v#Tq!2zLr", "pwd changed to …".
        _strong_password(
            r"(?:pw|pwd)(?:\s+(?:was\s+)?(?:changed|set|reset|updated))?\s+to"
            rf"[ \t]+{_OPEN_QUOTE}?(?P<v>{_LOOSE_VALUE})"
        ),
        # One to three words between the keyword and its colon: "mot de passe temporaire :
        # …", "Senha provisória: …", "wifi password from the sticker: …"; "password (new): …"
        # is not; a German compound ending in the keyword
        # ("Initialkennwort lautet: …", "WLAN-Passwort: …").
        _strong_password(
            rf"(?:{_LOOSE_PASSWORD_WORDS})(?:[ \t]+[^\W\d_]{{2,15}}){{0,2}}[ \t]+[^\W\d_]{{3,15}}"
            r"[ \t]*:[ \t]*"
            rf"{_OPEN_QUOTE}?(?P<v>{_LOOSE_VALUE})"
        ),
        _password(
            r"(?:passwort|kennwort)(?:\s+(?:lautet|ist))?\s*:?[ \t]+"
            rf"{_OPEN_QUOTE}?(?P<v>{_LOOSE_VALUE})",
            checks.strong_password_in_compound,
            score=0.9,
            lowered=True,
            needs_digit=True,
            not_after=None,
        ),
        # A login and its password: "login root / Tr0ub4dor&3", "creds are admin/Sup3rS3cret".
        _strong_password(
            rf"(?:{_LOGIN_WORDS})(?:\s+(?:is|are))?(?:\s*[:=][ \t]*|[ \t]+)"
            rf"[\w.@-]{{1,40}}(?:[ \t]*/[ \t]*|:)(?P<v>{_LOGIN_VALUE})"
        ),
        # An e-mail address as the login: "demo@ledgerly.io / Ledg3rly!Demo#2024",
        # "jo@example.org:Summer2024!" (a credential dump's line).
        _strong_password(
            r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){0,3}\.[a-z]{2,24}(?:[ \t]*/[ \t]*|:)"
            rf"(?P<v>{_LOGIN_VALUE})"
        ),
        # The same after "account" or "basic auth", which name other things too ("storage
        # account mystore01/Container2024"): only after ":", "=" or "is" ("the break-glass
        # account is jira-breakglass / Oystercatcher!5521", "basic auth fallback: ops:…").
        _strong_password(
            r"(?:account|basic[ -]auth(?:[ \t]+[a-z]{3,12})?)(?:\s*[:=][ \t]*|\s+(?:is|are)\s+)"
            rf"[\w.@-]{{1,40}}(?:[ \t]*/[ \t]*|:)(?P<v>{_LOGIN_VALUE})"
        ),
        # "user bob pass Bob2024!", "ftp user bob password S3cret99".
        _strong_password(
            rf"(?:{_LOGIN_WORDS}|user)[ \t]+[\w.@-]{{1,40}}[ \t]+(?:{_PASSWORD_WORDS})[ \t]+"
            rf"(?P<v>{_LOGIN_VALUE})"
        ),
        # Passwords given to a command on its command line (the flag's case matters: `sqlcmd
        # -p` prints statistics, `mysql -p mydb` asks for the password).
        *(_command_password(pattern) for pattern in _COMMAND_PASSWORDS),
        PatternRecognizer(
            entity=EntityType.PASSWORD,
            # A PIN: "my pin is 4821", "PIN: 482913", "passcode 4821".
            pattern=re.compile(
                r"(?:pin|pin\s*(?:code|number|no\.?)|passcode)"
                r"(?:\s*[:=#]\s*|\s+(?:is|was)\s+|\s+)(?P<v>\d{4,8})(?![\w]|[.,-]\d)"
            ),
            score=0.9,
            needs_digit=True,
            lowered=True,
            not_after=WORD_CHAR,
        ),
        PatternRecognizer(
            entity=EntityType.PASSWORD,
            # scheme://user:password@host, also redis://:pw@. The host follows the last "@":
            # the detection view decodes "%40", so "bob%40corp.com:p%40ss@host" has three.
            # Not past "?" or "#": "https://zed@host:8443?next=reports@weekly" has none.
            pattern=re.compile(r"://[^\s:/?#]*:(?P<v>[^\s/?#]{3,})@"),
            score=0.95,
            check=checks.command_password,  # not `rediss://:pass@localhost`
        ),
    )


def _strong_password(pattern: str) -> PatternRecognizer:
    """A password in a shape where only its own look makes it one (see `secret_recognizers`)."""
    return _password(pattern, checks.strong_password, score=0.9, lowered=True, needs_digit=True)


def _command_password(pattern: str) -> PatternRecognizer:
    """A password on a command line (see `_COMMAND_PASSWORDS`); flags keep their case."""
    return _password(pattern, checks.command_password, score=0.95)


def _password(
    pattern: str,
    check: Check,
    *,
    score: float,
    lowered: bool = False,
    needs_digit: bool = False,
    not_after: re.Pattern[str] | None = WORD_CHAR,
) -> PatternRecognizer:
    return PatternRecognizer(
        entity=EntityType.PASSWORD,
        pattern=re.compile(pattern),
        score=score,
        check=check,
        needs_digit=needs_digit,
        lowered=lowered,
        not_after=not_after,
    )


# Password words that are neither English words nor commands, and then those that are
# ("pass", "pw", "pwd", "passwd": only in the shapes that need more than the word), WPA's
# "psk" and Spanish "clave" (also "key": "ideas clave"), which `checks.password` takes only
# before ":" or "=", or before "is"/"es" with a strong value.
_LOOSE_PASSWORD_WORDS = (
    r"password|passphrase|passcode|passwort|kennwort|mot\s+de\s+passe|contraseña|contrasena"
    r"|senha|wachtwoord|lösenord|salasana|hasło|haslo|passord|adgangskode"
    # Common misspellings, and the key of a Wi-Fi network ("WPA2-Schlüssel", "wifi key").
    r"|pasword|passowrd|passwrod|paswort"
    r"|(?:wi-?fi|wlan|wpa[23]?|netzwerk|network)[ -]?(?:key|schlüssel)"
)
_PASSWORD_WORDS = rf"{_LOOSE_PASSWORD_WORDS}|passwd|pwd|pass|pw|psk|(?<!palabra )clave"
# The same words without the look-behind (Hyperscan compiles none): where a match of the
# patterns opening with `_PASSWORD_WORDS` can start ("pw", "pass" and "psk" occur in ordinary
# prose, and trying the keywords at every "p", "w", "m", "c"... costs 0.1-0.25 ms per 1,000
# tokens for each of those patterns).
_PASSWORD_OPENER = re.compile(rf"(?:{_LOOSE_PASSWORD_WORDS}|passwd|pwd|pass|pw|psk|clave)")
# Password words opening an identifier, lower-cased (the recognizer's triggers).
_IDENTIFIER_KEYS = (
    "password", "passwd", "pwd", "senha", "passwort", "kennwort", "contrasena", "wachtwoord",
    "haslo", "salasana", "passord", "losenord",
)  # fmt: skip
# Commands and the flag or position of their password, on one line; `v` is the password.
_CMD_VALUE = r"[\"']?(?P<v>[^\s\"']{1,64})"
_ON_LINE = r"[^\n|;&]*?\s"
_COMMAND_PASSWORDS = (
    rf"curl\b{_ON_LINE}(?:-u|--user)[ =][\"']?[^\s:\"']+:{_CMD_VALUE}",
    rf"sshpass\s+-p\s*{_CMD_VALUE}",
    rf"mysql(?:dump|admin)?\b{_ON_LINE}-p{_CMD_VALUE}",  # -pSECRET, no space
    rf"redis-cli\b{_ON_LINE}-a\s+{_CMD_VALUE}",
    rf"(?:sqlcmd|zip)\b{_ON_LINE}-P\s+{_CMD_VALUE}",
    rf"7z\b{_ON_LINE}-p{_CMD_VALUE}",  # -pSECRET, no space
    rf"keytool\b{_ON_LINE}-(?:store|key)pass\s+{_CMD_VALUE}",
    rf"docker\s+login\b{_ON_LINE}(?:-p|--password)[ =]{_CMD_VALUE}",
    rf"net\s+use\b[^\n]*?/user:\S+\s+{_CMD_VALUE}",
    rf"net\s+user\s+[^\s/]+\s+{_CMD_VALUE}",
    rf"htpasswd\s+-\w*b\w*\s+\S+\s+\S+\s+{_CMD_VALUE}",
    rf"echo\s+[\"']?[^\s:\"']+:{_CMD_VALUE}[\"']?\s*\|\s*(?:sudo\s+)?chpasswd",
    r"(?i:convertto-securestring)\s+[\"'](?P<v>[^\"'\n]{1,64})[\"']",
    # Cisco IOS: `enable secret Cisco123!`, `username admin privilege 15 secret 0 Cisco123!`.
    rf"(?m:^)[ \t]*enable[ \t]+(?:secret|password)[ \t]+(?:\d[ \t]+)?{_CMD_VALUE}",
    rf"(?m:^)[ \t]*username[ \t]+(?!and\b|or\b)\S+(?:[ \t]+privilege[ \t]+\d+)?"
    rf"[ \t]+(?:secret|password)[ \t]+(?:\d[ \t]+)?{_CMD_VALUE}",
    # NetworkManager, PHP's define(), JDBC and Python requests' basic auth.
    rf"nmcli\b{_ON_LINE}password\s+{_CMD_VALUE}",
    r"define\(\s*[\"']\w*(?:PASSWORD|PASS|PWD)[\"']\s*,\s*[\"'](?P<v>[^\"'\n]{1,64})[\"']",
    r"getConnection\([^,\n()]+,\s*\"[^\"\n]*\"\s*,\s*\"(?P<v>[^\"\n]{1,64})\"",
    r"auth\s*=\s*\(\s*[\"'][^\"'\n]+[\"']\s*,\s*[\"'](?P<v>[^\"'\n]{1,64})[\"']\s*\)",
    # SQL's CREATE/ALTER USER, .NET's NetworkCredential and appSettings, Go's MySQL DSN,
    # a password piped into `sudo -S`, lftp's user,password.
    r"(?i:(?:create|alter)\s+user|grant)\b[^\n;]{0,200}?(?i:identified)\s+(?i:by)\s+"
    r"[\"'](?P<v>[^\"'\n]{1,64})[\"']",
    r"NetworkCredential\(\s*\"[^\"\n]*\"\s*,\s*\"(?P<v>[^\"\n]{1,64})\"",
    r"key=\"[^\"\n]{0,40}(?i:password|passwd|pwd)\"\s+value=\"(?P<v>[^\"\n]{1,64})\"",
    r"[\"'`][\w.-]{1,40}:(?P<v>[^\s@/:\"'`]{1,64})@(?:tcp|unix)\(",
    r"echo\s+[\"']?(?P<v>[^\s\"'|]{1,64})[\"']?\s*\|\s*sudo\s+(?:-\w+\s+)*-S\b",
    rf"lftp\b{_ON_LINE}-u\s+[^\s,]+,{_CMD_VALUE}",
    # A ~/.pgpass line, host:port:database:user:password, after the file's name.
    r"pgpass\b[^\n]{0,40}\n?[^\s:]+:(?:\d{1,5}|\*):[^\s:]+:[^\s:]+:(?P<v>[^\s]{1,64})",
)
_LOGIN_WORDS = (
    r"login|creds|credentials|username|zugangsdaten|identifiants|credenciales|credenziali"
    r"|credenciais"
)
# "is" and "for" in the languages of `_PASSWORD_WORDS` ("Passwort für den Router ist …",
# "la contraseña del wifi es …", "minha senha é …"); other than "is"/"was", only with a digit.
_IS = r"(?:is|was|ist|lautet|war|est|était|c'est|es|era|é|è|jest|är|er)"
_FOR = r"(?:for|für|del|de|du|de\s+la|do|da|di|per|för|voor|dla)"
# One to five words between a password keyword and its "is" ("the password I'm typing is").
_FEW_WORDS = r"(?:[ \t]+[^\s:=\"`]{1,24}){1,5}?"
# A quoted value (`q`), or an unquoted one (`v`) not ending in sentence punctuation.
_PASSWORD_VALUE = r"(?:[\"'](?P<q>[^\"'\n]{4,64})[\"']|(?P<v>[^\s\"'`,;()\[\]{}]{4,64}(?<![.?])))"
# An unquoted value of 6-64 characters, not ending in "." or "?" (a "!" is kept: "Winter2024!"
# is likelier a password than a sentence that ends on one).
_OPEN_QUOTE = "[\"'\u201c\u2018]"  # before a value in the looser shapes ("password 'X'")
_LOOSE_VALUE = r"[^\s\"'`,;()\[\]{}<>]{6,64}(?<![.?])"
# The same after "user /": one whole token without "/", so a path ("users/jo/devices") is none.
_LOGIN_VALUE = r"[^\s\"'`,;()\[\]{}<>/]{6,64}(?<![.?])(?=[\s\"'`,;()\[\]{}<>.?]|$)"
API_KEY_PREFIXES = (
    "sk-",
    "akia",
    "asia",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "xox",
    "aiza",
    "glpat-",
    "gldt-",
    "glrt-",
    "gloas-",
    "glptt-",
    "glft-",
    "glimt-",
    "glsoat-",
    "glcbt-",
    "hf_",
    "sk_live_",
    "sk_test_",
    "rk_live_",
    "rk_test_",
    "npm_",
    "sg.",
)
