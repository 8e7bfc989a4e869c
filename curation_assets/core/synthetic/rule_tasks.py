"""Rule- and template-based synthetic tasks with Faker: the offline generators.

Every generator is deterministic for a seed (given the installed Faker version, whose data
files decide the fake names and addresses) and states in ``expect`` what verification must
check: a JSON answer with given keys whose values appear in the input, a number, Python tests.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Callable

from faker import Faker

# Fixed windows, not "the last two years": Faker's relative dates move with the clock, and a batch
# must be the same on any day for its seed (a run across midnight generated other invoices).
INVOICE_DATES = (date(2023, 1, 1), date(2024, 12, 31))
BIRTH_DATES = (date(1936, 1, 1), date(2006, 12, 31))


@dataclass
class RuleItem:
    instruction: str
    input: str
    response: str
    expect: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)


_LOCALES = {"en": "en_US", "de": "de_DE", "fr": "fr_FR", "es": "es_ES", "it": "it_IT", "nl": "nl_NL"}

_INVOICE_INSTRUCTION = (
    "Extract the invoice number, the vendor, the invoice date and the total amount due from the invoice "
    "below. Answer with a JSON object with the keys invoice_number, vendor, date and total."
)

_FORM_TEXT = {
    "en": ("Extract the applicant's full name, e-mail address, phone number and city from the registration "
           "form below. Answer with a JSON object with the keys name, email, phone and city.",
           ["Registration form", "Name", "E-mail", "Phone", "Street", "City", "Date of birth"]),
    "de": ("Extrahiere aus dem folgenden Anmeldeformular den vollständigen Namen, die E-Mail-Adresse, die "
           "Telefonnummer und den Wohnort der Person. Antworte mit einem JSON-Objekt mit den Schlüsseln "
           "name, email, phone und city.",
           ["Anmeldeformular", "Name", "E-Mail", "Telefon", "Straße", "Ort", "Geburtsdatum"]),
    "fr": ("Extrais du formulaire d'inscription ci-dessous le nom complet, l'adresse e-mail, le numéro de "
           "téléphone et la ville de la personne. Réponds avec un objet JSON avec les clés name, email, "
           "phone et city.",
           ["Formulaire d'inscription", "Nom", "E-mail", "Téléphone", "Rue", "Ville", "Date de naissance"]),
    "es": ("Extrae del siguiente formulario de inscripción el nombre completo, la dirección de correo "
           "electrónico, el número de teléfono y la ciudad de la persona. Responde con un objeto JSON con "
           "las claves name, email, phone y city.",
           ["Formulario de inscripción", "Nombre", "Correo", "Teléfono", "Calle", "Ciudad", "Fecha de nacimiento"]),
}


def _faker(language: str, seed: int) -> Faker:
    fake = Faker(_LOCALES.get(language, "en_US"))
    fake.seed_instance(seed)
    return fake


def invoice_extraction(count: int, seed: int, language: str = "en") -> list[RuleItem]:
    fake = _faker("en", seed)
    rng = random.Random(seed)
    items = []
    for _ in range(count):
        vendor = fake.company()
        number = fake.bothify("INV-####-??").upper()
        date = fake.date_between(start_date=INVOICE_DATES[0], end_date=INVOICE_DATES[1]).isoformat()
        lines, total = [], Decimal("0")
        for _ in range(rng.randint(1, 4)):
            quantity = rng.randint(1, 9)
            price = Decimal(rng.randint(150, 49_999)) / 100
            lines.append(f"  {quantity} x {fake.bs().capitalize()} @ {price:.2f} = {quantity * price:.2f}")
            total += quantity * price
        text = "\n".join([
            f"{vendor}", fake.address().replace("\n", ", "), "",
            f"INVOICE {number}", f"Date: {date}", f"Bill to: {fake.name()}, {fake.company()}", "", "Items:",
            *lines, "", f"TOTAL DUE: {total:.2f} USD",
        ])
        answer = {"invoice_number": number, "vendor": vendor, "date": date, "total": f"{total:.2f}"}
        items.append(RuleItem(
            _INVOICE_INSTRUCTION, text, json.dumps(answer, ensure_ascii=False),
            expect={"format": "json", "json_keys": list(answer), "grounded_in_input": True},
            meta={"faker_locale": "en_US"},
        ))
    return items


def form_extraction(count: int, seed: int, language: str = "en") -> list[RuleItem]:
    if language not in _FORM_TEXT:
        raise ValueError(f"form_extraction has no template for language {language!r}; one of {sorted(_FORM_TEXT)}")
    instruction, labels = _FORM_TEXT[language]
    fake = _faker(language, seed)
    items = []
    for _ in range(count):
        name, email, phone, city = fake.name(), fake.email(), fake.phone_number(), fake.city()
        text = "\n".join([
            labels[0], f"{labels[1]}: {name}", f"{labels[2]}: {email}", f"{labels[3]}: {phone}",
            f"{labels[4]}: {fake.street_address()}", f"{labels[5]}: {city}",
            f"{labels[6]}: {fake.date_between(start_date=BIRTH_DATES[0], end_date=BIRTH_DATES[1]).isoformat()}",
        ])
        answer = {"name": name, "email": email, "phone": phone, "city": city}
        items.append(RuleItem(
            instruction, text, json.dumps(answer, ensure_ascii=False),
            expect={"format": "json", "json_keys": list(answer), "grounded_in_input": True},
            meta={"faker_locale": _LOCALES[language]},
        ))
    return items


def arithmetic(count: int, seed: int, language: str = "en") -> list[RuleItem]:
    fake = _faker("en", seed)
    rng = random.Random(seed)
    items = []
    for _ in range(count):
        name, item = fake.first_name(), rng.choice(["notebooks", "apples", "tickets", "cables", "mugs", "plants"])
        boxes, per_box, price_cents, given_away = (rng.randint(2, 12), rng.randint(3, 24),
                                                   rng.randint(25, 990), rng.randint(0, 5))
        units = boxes * per_box - given_away
        total_cents = units * price_cents
        question = (f"{name} buys {boxes} boxes of {item} with {per_box} {item} in each box, gives {given_away} "
                    f"away, and sells the rest for ${price_cents / 100:.2f} each. How many dollars does "
                    f"{name} receive?")
        answer = (f"{name} has {boxes} × {per_box} = {boxes * per_box} {item}; after giving {given_away} away, "
                  f"{units} remain. {units} × ${price_cents / 100:.2f} = ${total_cents / 100:.2f}. "
                  f"The answer is {total_cents / 100:.2f}.")
        items.append(RuleItem(question, "", answer, expect={"format": "text", "final_answer": f"{total_cents / 100:.2f}"}))
    return items


# (name, signature, description with {k}, reference implementation, argument generator)
_FUNCTIONS: list[tuple[str, str, str, Callable, Callable]] = [
    ("sum_above", "numbers", "returns the sum of the numbers in the list `numbers` that are greater than {k}",
     lambda k: (lambda numbers: sum(n for n in numbers if n > k)),
     lambda rng: [[rng.randint(-20, 40) for _ in range(rng.randint(0, 8))]]),
    ("count_multiples", "numbers", "returns how many numbers in the list `numbers` are multiples of {k}",
     lambda k: (lambda numbers: sum(1 for n in numbers if n % k == 0)),
     lambda rng: [[rng.randint(-30, 60) for _ in range(rng.randint(0, 9))]]),
    ("rotate_left", "text", "returns the string `text` rotated left by {k} characters (an empty string stays empty)",
     lambda k: (lambda text: text[k % len(text):] + text[:k % len(text)] if text else ""),
     lambda rng: ["".join(rng.choice("abcdefgh") for _ in range(rng.randint(0, 9)))]),
    ("clamp_all", "numbers", "returns a new list with every number of `numbers` limited to the range -{k}..{k}",
     lambda k: (lambda numbers: [max(-k, min(k, n)) for n in numbers]),
     lambda rng: [[rng.randint(-50, 50) for _ in range(rng.randint(0, 7))]]),
    ("repeat_words", "text", "returns `text` with every whitespace-separated word repeated {k} times, joined by single spaces",
     lambda k: (lambda text: " ".join(w for word in text.split() for w in [word] * k)),
     lambda rng: [" ".join(rng.choice(["red", "blue", "cat", "sky", "go"]) for _ in range(rng.randint(0, 4)))]),
]

_SOLUTIONS = {
    "sum_above": "def sum_above(numbers):\n    return sum(n for n in numbers if n > {k})\n",
    "count_multiples": "def count_multiples(numbers):\n    return sum(1 for n in numbers if n % {k} == 0)\n",
    "rotate_left": ("def rotate_left(text):\n    if not text:\n        return \"\"\n    shift = {k} % len(text)\n"
                    "    return text[shift:] + text[:shift]\n"),
    "clamp_all": "def clamp_all(numbers):\n    return [max(-{k}, min({k}, n)) for n in numbers]\n",
    "repeat_words": "def repeat_words(text):\n    return \" \".join(\" \".join([word] * {k}) for word in text.split())\n",
}


def python_function(count: int, seed: int, language: str = "en") -> list[RuleItem]:
    rng = random.Random(seed)
    items = []
    for _ in range(count):
        name, parameter, description, reference, arguments = rng.choice(_FUNCTIONS)
        k = rng.randint(2, 9)
        function = reference(k)
        tests = []
        for _ in range(4):
            args = arguments(rng)
            tests.append(f"assert {name}({', '.join(repr(a) for a in args)}) == {function(*args)!r}")
        solution = _SOLUTIONS[name].format(k=k)
        instruction = f"Write a Python function `{name}({parameter})` that {description.format(k=k)}."
        items.append(RuleItem(
            instruction, "", f"```python\n{solution}```",
            expect={"format": "python", "tests": "\n".join(tests) + "\n"},
        ))
    return items


RULE_GENERATORS: dict[str, Callable[[int, int, str], list[RuleItem]]] = {
    "invoice_extraction": invoice_extraction,
    "form_extraction": form_extraction,
    "arithmetic": arithmetic,
    "python_function": python_function,
}
