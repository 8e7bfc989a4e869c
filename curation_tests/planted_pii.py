"""A planted-PII set: realistic PII values in many formats, inside sentences full of ordinary numbers.

Each item is ``(text, expected)`` where ``expected`` is the text with every planted value replaced
by its typed placeholder. The carriers are chosen to tempt false positives (prices, dates, times,
ratios, order numbers, arithmetic), so an exact comparison proves recall and precision at once.
Deterministic: the same seed gives the same set.
"""

from __future__ import annotations

import random
import string

SEED = 4242

CARRIERS = [
    "Please contact {pii} before Friday; the invoice total is $1,250.75 for 3 items.",
    "Order #48213 shipped on 2024-05-17 at 10:30. Reach the buyer at {pii} if needed.",
    "Customer record: {pii}. Balance due: 3/4 of $880, i.e. 660 dollars.",
    "Hi team, the new value is {pii} (see ticket 7731). We saved 12.5% over 2023.",
    "{pii} was in the log file next to 48 + 24 = 72 and a ratio of 2:5.",
    "Copy this into the form: {pii}\nThen press Submit and wait 15 minutes.",
    "The speaker said {pii}, and the room held 1 000 000 people... not really, about 350.",
    "Step 1: open settings. Step 2: enter {pii}. Step 3: restart (takes 30-45 s).",
]

_FIRST = ["jane", "omar", "li", "maria", "john", "aisha", "pierre", "yuki", "ana", "lukas", "priya", "sam"]
_LAST = ["doe", "haddad", "wei", "garcia", "smith", "khan", "dupont", "tanaka", "silva", "mueller", "patel", "o.neil"]
_DOMAINS = ["example.com", "mail.co.uk", "uni-bonn.de", "gmail.com", "company.io", "sub.example.org", "xn--bcher-kva.ch",
            "corp.example.travel"]


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(count))


def _email(rng: random.Random) -> str:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    local = rng.choice([f"{first}.{last}", f"{first}{rng.randint(1, 99)}", f"{first}_{last}+news", f"{first[0]}{last}",
                        f"{first.upper()}.{last.capitalize()}"])
    return f"{local}@{rng.choice(_DOMAINS)}"


def _phone(rng: random.Random) -> str:
    d = lambda count: _digits(rng, count)  # noqa: E731
    nanp = f"{rng.randint(201, 989)}"
    formats = [
        f"+1 {nanp}-555-{d(4)}", f"+1 ({nanp}) 555-{d(4)}", f"({nanp}) 555-{d(4)}", f"{nanp}-555-{d(4)}",
        f"{nanp}.555.{d(4)}", f"{nanp} 555 {d(4)}", f"+1.{nanp}.555.{d(4)}",
        f"+44 20 7946 {d(4)}", f"+44 7700 900{d(3)}", f"020 7946 {d(4)}", f"07700 900{d(3)}",
        f"+49 30 {d(7)}", f"+49 (0)30 {d(6)}", f"030-{d(7)}", f"+49 151 {d(8)}",
        f"+33 1 {d(2)} {d(2)} {d(2)} {d(2)}", f"+33 6 {d(2)} {d(2)} {d(2)} {d(2)}", f"06 {d(2)} {d(2)} {d(2)} {d(2)}",
        f"+91 98765 {d(5)}", f"+81 3-{d(4)}-{d(4)}", f"+61 2 {d(4)} {d(4)}", f"+55 11 9{d(4)}-{d(4)}",
        f"+86 138 {d(4)} {d(4)}", f"+34 612 {d(3)} {d(3)}", f"+39 06 {d(4)} {d(4)}", f"+27 21 {d(3)} {d(4)}",
        f"+352 {d(3)} {d(3)}", f"+971 4 {d(3)} {d(4)}",
    ]
    return rng.choice(formats)


def _keyed_phone(rng: random.Random) -> tuple[str, str]:
    """A phone word then a bare number: only the number is redacted."""
    word = rng.choice(["phone: ", "Tel. ", "mobile ", "cell: ", "Phone number: ", "fax: "])
    return word, rng.choice([f"415555{_digits(rng, 4)}", f"0301{_digits(rng, 6)}", f"+4479{_digits(rng, 8)}"])


def luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + _digits(rng, length - len(prefix) - 1)
    for check in string.digits:
        candidate = body + check
        total = 0
        for position, char in enumerate(reversed(candidate)):
            value = int(char) * (2 if position % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")


def _credit_card(rng: random.Random) -> str:
    brand = rng.choice([("4", 16), ("4", 13), ("51", 16), ("55", 16), ("2221", 16), ("34", 15), ("37", 15),
                        ("6011", 16), ("65", 16), ("3530", 16), ("4", 19)])
    number = luhn_complete(brand[0], brand[1], rng)
    style = rng.choice(["plain", "space", "dash"])
    if style == "plain" or len(number) not in (15, 16):
        return number
    separator = " " if style == "space" else "-"
    if len(number) == 15:
        return separator.join([number[:4], number[4:10], number[10:]])
    return separator.join(number[i:i + 4] for i in range(0, 16, 4))


def _ssn(rng: random.Random) -> str:
    area = rng.choice([n for n in range(1, 900) if n != 666])
    separator = rng.choice(["-", "-", " "])
    return f"{area:03d}{separator}{rng.randint(1, 99):02d}{separator}{rng.randint(1, 9999):04d}"


def _ip(rng: random.Random) -> str:
    if rng.random() < 0.7:
        return ".".join(str(rng.randint(0, 255)) for _ in range(4)).replace("0.0.0.0", "10.0.0.1")
    groups = [f"{rng.randint(0, 0xFFFF):x}" for _ in range(8)]
    if rng.random() < 0.5:
        return ":".join(groups)
    return f"2001:db8::{groups[5]}:{groups[6]}:{groups[7]}"


def _iban(rng: random.Random) -> str:
    country, bban = rng.choice([
        ("DE", _digits(rng, 18)), ("GB", "NWBK" + _digits(rng, 14)), ("FR", _digits(rng, 23)),
        ("NL", "ABNA" + _digits(rng, 10)), ("ES", _digits(rng, 20)), ("IT", "X" + _digits(rng, 22)),
        ("CH", _digits(rng, 17)), ("BE", _digits(rng, 12)), ("PL", _digits(rng, 24)), ("NO", _digits(rng, 11)),
    ])
    numeric = "".join(str(int(char, 36)) for char in bban + country + "00")
    iban = f"{country}{98 - int(numeric) % 97:02d}{bban}"
    if rng.random() < 0.5:
        return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    return iban


def _token(rng: random.Random, alphabet: str, length: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


_ALNUM = string.ascii_letters + string.digits
_UPPER_DIGITS = string.ascii_uppercase + string.digits


def _api_key(rng: random.Random) -> str:
    return rng.choice([
        "AKIA" + _token(rng, _UPPER_DIGITS, 16),
        "ghp_" + _token(rng, _ALNUM, 36),
        "github_pat_" + _token(rng, _ALNUM + "_", 60),
        "sk-" + _token(rng, _ALNUM, 48),
        "sk-proj-" + _token(rng, _ALNUM + "-_", 64),
        "sk_live_" + _token(rng, _ALNUM, 24),
        "xoxb-" + _digits(rng, 12) + "-" + _digits(rng, 13) + "-" + _token(rng, _ALNUM, 24),
        "AIza" + _token(rng, _ALNUM + "-_", 35),
        "SG." + _token(rng, _ALNUM, 22) + "." + _token(rng, _ALNUM, 43),
        "npm_" + _token(rng, _ALNUM, 36),
        "hf_" + _token(rng, string.ascii_letters, 34),
        "glpat-" + _token(rng, _ALNUM, 20),
        "eyJhbGciOiJIUzI1NiJ9.eyJ" + _token(rng, _ALNUM, 30) + "." + _token(rng, _ALNUM + "-_", 43),
    ])


def _credentials(rng: random.Random) -> tuple[str, str, str]:
    """(before, credentials, after): only ``user:password`` is redacted, the URL stays readable."""
    scheme = rng.choice(["https", "postgres", "mysql", "ftp", "redis", "amqp", "mongodb+srv"])
    user = rng.choice(_FIRST)
    password = rng.choice(["S3cr3t!", "hunter2", _token(rng, _ALNUM, 12), "p%40ss-word"])
    host = rng.choice(["db.example.com:5432/app", "ftp.example.org/pub", "cache.internal:6379", "cluster0.example.net/test"])
    return f"{scheme}://", f"{user}:{password}", f"@{host}"


def _private_key(rng: random.Random) -> str:
    kind = rng.choice(["RSA ", "EC ", "OPENSSH ", ""])
    body = "\n".join(_token(rng, _ALNUM + "+/", 64) for _ in range(rng.randint(2, 5)))
    return f"-----BEGIN {kind}PRIVATE KEY-----\n{body}\n-----END {kind}PRIVATE KEY-----"


def _secret(rng: random.Random) -> str:
    length = rng.randint(28, 64)
    while True:
        token = _token(rng, _ALNUM + "+/", length)
        if any(c.isdigit() for c in token) and any(c.isupper() for c in token) and any(c.islower() for c in token):
            return token + rng.choice(["", "="])


def _keyed_secret(rng: random.Random) -> tuple[str, str]:
    name = rng.choice(["password = ", "PASSWORD: ", "api_key=", "\"client_secret\": \"", "access_token: ", "pwd="])
    return name, rng.choice(["hunter2024", "Tr0ub4dor&3", "correct-horse-9", "P@ssw0rd!"]) + str(rng.randint(0, 99))


def planted_pii_set(count_per_type: int = 120, seed: int = SEED) -> list[tuple[str, str, str]]:
    """``[(pii_type, text, expected_redacted_text), ...]``."""
    rng = random.Random(seed)
    simple = {
        "EMAIL": _email, "PHONE": _phone, "CREDIT_CARD": _credit_card, "SSN": _ssn, "IP_ADDRESS": _ip,
        "IBAN": _iban, "API_KEY": _api_key, "PRIVATE_KEY": _private_key, "SECRET": _secret,
    }
    items = []
    for pii_type, make in simple.items():
        for _ in range(count_per_type):
            carrier = rng.choice(CARRIERS)
            items.append((pii_type, carrier.format(pii=make(rng)), carrier.format(pii=f"<{pii_type}>")))
    for _ in range(count_per_type):
        carrier = rng.choice(CARRIERS)
        before, credentials, after = _credentials(rng)
        items.append(("CREDENTIALS", carrier.format(pii=before + credentials + after),
                      carrier.format(pii=before + "<CREDENTIALS>" + after)))
    for _ in range(count_per_type // 2):
        carrier = rng.choice(CARRIERS)
        word, number = _keyed_phone(rng)
        items.append(("PHONE", carrier.format(pii=word + number), carrier.format(pii=word + "<PHONE>")))
        name, secret = _keyed_secret(rng)
        items.append(("SECRET", carrier.format(pii=name + secret), carrier.format(pii=name + "<SECRET>")))
        keyed_ssn = rng.choice(["SSN ", "SSN: ", "social security number "])
        number = _ssn(rng).replace("-", "").replace(" ", "")
        items.append(("SSN", carrier.format(pii=keyed_ssn + number), carrier.format(pii=keyed_ssn + "<SSN>")))
    return items
