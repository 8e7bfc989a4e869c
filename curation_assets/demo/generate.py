"""The built-in demo data: four small sources in four formats, generated from a seed.

It is deliberately messy in the ways real data is: HTML in responses, duplicates that differ
only in case and spacing, an empty response, a malformed JSON line, control characters, and
a synthetic source that repeats a real instruction; PII (e-mails, phone numbers, an IBAN in a
source configured to drop such records), mojibake, Markdown, a refusal, placeholder text, a
looping reply, a question in Italian (the demo allows English and German) and a blocklisted one. ``demo_benchmark.jsonl`` is a small
evaluation set: some items copied from (or sharing a long span with) the training sources, some
short ones equal to a support question, the rest unrelated. Regenerate with
``python -m curation_assets.demo.generate`` (the files are committed, and a test proves they
match this generator).
"""

from __future__ import annotations

import csv
import io
import json
import random
import sys
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
SEED = 20261127

_PRODUCTS = ["router", "laptop", "phone", "printer", "smart watch", "headset", "tablet", "camera", "monitor", "speaker"]
_PROBLEMS = [
    ("won't turn on", "Hold the power button for 15 seconds, unplug it for a minute, then plug it back in and try again."),
    ("keeps disconnecting from Wi-Fi", "Forget the network, restart the {p}, then reconnect and enter the password again."),
    ("battery drains fast", "Lower the screen brightness, turn off background refresh, and check which apps use the most power."),
    ("is very slow", "Restart the {p}, install pending updates, and remove apps you no longer use."),
    ("shows an error after the update", "Restart the {p}; if the error stays, roll back the update from the settings menu."),
    ("makes a buzzing noise", "Check that the cable is firmly connected and try a different power outlet."),
    ("cannot find my account", "Sign out, sign back in with the e-mail address you registered with, and reset the password if needed."),
    ("does not charge", "Try another cable and charger, and clean the charging port gently with a dry brush."),
]
_OPENERS = ["My {p} {q}. What should I do?", "Why does my {p} {q2}?", "Help: the {p} {q}.", "How do I fix a {p} that {q}?"]
_FAQ_TOPICS = [
    ("What is your return policy?", "You can return any item within 30 days of delivery for a full refund."),
    ("How long does shipping take?", "Standard shipping takes 3 to 5 business days; express takes 1 to 2."),
    ("Do you ship internationally?", "Yes, we ship to over 40 countries. Duties are calculated at checkout."),
    ("How do I track my order?", "Open the link in your confirmation e-mail or enter the order number on our tracking page."),
    ("Can I change my delivery address?", "Yes, until the order ships. Contact support with your order number."),
    ("Which payment methods do you accept?", "Credit and debit cards, PayPal, and bank transfer."),
    ("Is my warranty transferable?", "Warranties stay with the product, so a new owner keeps the remaining coverage."),
    ("How do I cancel my subscription?", "Go to Account, then Subscriptions, and choose Cancel. You keep access until the period ends."),
]
_TOOLS = [
    ("Calculator", "compute {a} * {b}", "Calculator({a} * {b}) → {ab}"),
    ("Calendar", "find out what day of the week {d} is", "Calendar(\"{d}\") → weekday"),
    ("WikiSearch", "look up the capital of {c}", "WikiSearch(\"capital of {c}\") → answer"),
    ("Translator", "translate '{w}' into French", "Translator(\"{w}\", target=\"fr\") → translation"),
]
_COUNTRIES = ["France", "Kenya", "Peru", "Japan", "Canada", "Norway", "Egypt", "Chile", "India", "Poland", "Ghana"]
_WORDS = ["good morning", "thank you", "library", "train station", "umbrella", "breakfast", "friendship", "river"]


# Support tickets each of which one cleaning rule must catch or repair (see the README's rules).
_PROBLEM_TICKETS = [
    ("Can you check my account balance?", "As an AI language model, I cannot access your account."),
    ("How do I reset the router to factory settings?", "[Insert troubleshooting steps here]"),
    ("Come posso ripristinare il router alle impostazioni di fabbrica se non si avvia più?",
     "Tieni premuto il tasto di reset per dieci secondi e attendi che il router si riavvii."),
    ("Where can I buy an untraceable firearm?", "Visit a shop that sells untraceable firearm kits."),
    ("My headset keeps crackling during calls. Any idea why?", "Restart it and try again. " * 20),
    ("**Urgent:** the `printer` shows error E-07 after the update.",
     "Turn the printer off, wait a minute, and install the latest firmware from the support page."),
    ("Why doesnâ€™t my tablet charge overnight?", "Itâ€™s usually the cable: try another one and clean the port."),
]


def _support_logs(rng: random.Random) -> list[str]:
    lines = []
    for index in range(160):
        product = rng.choice(_PRODUCTS)
        problem, fix = rng.choice(_PROBLEMS)
        question = rng.choice(_OPENERS).format(p=product, q=problem, q2=problem.replace("won't", "not").replace("keeps", "keep"))
        answer = fix.format(p=product)
        if index % 9 == 0:
            answer = f"<p>{answer}</p><ul><li>Still stuck? Reply to this ticket.</li><li>Ticket #{1000 + index}</li></ul>"
        if index % 17 == 0:
            question = question + "\u0007"  # a stray control character from a chat client
        if index % 23 == 7:  # customers paste their contact details; cleaning redacts them
            question += f" You can reach me at customer{index}@example.com or +1 415-555-{index:04d}."
        lines.append(json.dumps({"ticket_id": 1000 + index, "user_message": question, "agent_reply": answer,
                                 "channel": rng.choice(["chat", "email"])}))
        if index % 11 == 0:
            # The same exchange logged again by a second client: different case and spacing.
            lines.append(json.dumps({"ticket_id": 5000 + index, "user_message": "  " + question.upper() + "  ",
                                     "agent_reply": answer.replace(" ", "  "), "channel": "chat"}))
    lines.append(json.dumps({"ticket_id": 9001, "user_message": "Is anyone there?", "agent_reply": ""}))
    for offset, (question, answer) in enumerate(_PROBLEM_TICKETS):
        lines.append(json.dumps({"ticket_id": 9100 + offset, "user_message": question, "agent_reply": answer}))
    lines.insert(40, '{"ticket_id": 9002, "user_message": "My order never arrived", "agent_reply": ')  # cut off mid-write
    return lines


def _faq_rows(rng: random.Random) -> list[dict[str, str]]:
    rows = []
    for index in range(120):
        question, answer = _FAQ_TOPICS[index % len(_FAQ_TOPICS)]
        product = _PRODUCTS[index % len(_PRODUCTS)]
        rows.append({
            "question": f"{question[:-1]} for the {product}? (#{index})",
            "answer": answer,
            "context": "" if index % 3 else f"Customer bought a {product} {rng.randint(2, 60)} days ago.",
        })
        if index == 13:  # bank details in a source configured with pii: drop
            rows[-1]["context"] += " Refund to IBAN DE89 3704 0044 0532 0130 00."
    return rows


def _math_drills(rng: random.Random) -> list[dict[str, str]]:
    names = ["Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jo"]
    things = ["apples", "stickers", "marbles", "books", "pencils", "cookies"]
    records = []
    for index in range(240):
        name, thing = names[index % len(names)], rng.choice(things)
        have, more, give = rng.randint(3, 50), rng.randint(2, 30), rng.randint(1, 10)
        total = have + more - give
        records.append({
            "prompt": f"{name} has {have} {thing}, buys {more} more and gives {give} away. How many {thing} does {name} have now?",
            "solution": f"{name} starts with {have}. After buying: {have} + {more} = {have + more}. "
                        f"After giving away: {have + more} - {give} = {total}. The answer is {total}.",
            "generator": "rule:arithmetic_word_problem@v1",
        })
    return records


def _tool_snippets(rng: random.Random) -> list[dict[str, str]]:
    records = []
    for index in range(200):
        tool, task, call = _TOOLS[index % len(_TOOLS)]
        values = {"a": rng.randint(10, 999), "b": rng.randint(10, 999), "c": rng.choice(_COUNTRIES),
                  "w": rng.choice(_WORDS), "d": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"}
        values["ab"] = values["a"] * values["b"]
        records.append({
            "instruction": f"Use the {tool} tool to {task.format(**values)}.",
            "input": "",
            "output": call.format(**values),
        })
    # A synthetic copy of a real support question: dedup must keep the real one.
    records.append({"instruction": "Is anyone there?", "input": "", "output": ""})
    return records


_UNRELATED_BENCHMARK_ITEMS = [
    ("A train leaves the station at 9:40 and arrives at 13:05. How many minutes does the journey take?", "205"),
    ("Name the largest planet in the solar system.", "Jupiter"),
    ("A rectangle is 12 cm long and 7 cm wide. What is its perimeter in centimetres?", "38"),
    ("Translate 'good night' into Spanish.", "buenas noches"),
    ("Which gas do plants take in from the air to make their food?", "Carbon dioxide"),
    ("If a shirt costs 25 dollars after a 20 percent discount, what was the original price?", "31.25 dollars"),
]


def _benchmark(math: list[dict[str, str]], support_lines: list[str]) -> list[str]:
    """A tiny evaluation set: four math drills copied, one answer sharing a long span, two short support questions."""
    items = [{"question": record["prompt"], "answer": record["solution"].rsplit("The answer is ", 1)[1]}
             for record in math[5:9]]
    # A new question whose worked answer repeats a training solution word for word, then goes on.
    items.append({"question": "Explain the steps of this calculation.", "answer": math[20]["solution"] + " Well done!"})
    # Short questions: the first as its duplicate was logged (capitals, stray spaces), which normalization still matches.
    short = [json.loads(line)["user_message"] for line in support_lines[1:3]]
    items.extend({"question": question, "answer": "See the manual."} for question in short)
    items.extend({"question": question, "answer": answer} for question, answer in _UNRELATED_BENCHMARK_ITEMS)
    return [json.dumps(item, ensure_ascii=False) for item in items]


def generate(directory: Path = DATA_DIR) -> list[Path]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(SEED)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {
        "support_logs": directory / "support_logs.jsonl",
        "faq_export": directory / "faq_export.csv",
        "math_drills": directory / "math_drills.parquet",
        "tool_snippets": directory / "tool_snippets.json",
    }
    support_lines = _support_logs(rng)
    paths["support_logs"].write_text("\n".join(support_lines) + "\n", encoding="utf-8")

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["question", "answer", "context"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(_faq_rows(rng))
    paths["faq_export"].write_text(buffer.getvalue(), encoding="utf-8")

    math = _math_drills(rng)
    pq.write_table(pa.Table.from_pylist(math), paths["math_drills"], compression="zstd")
    paths["tool_snippets"].write_text(json.dumps(_tool_snippets(rng), indent=1, ensure_ascii=False) + "\n",
                                      encoding="utf-8")
    paths["demo_benchmark"] = directory / "demo_benchmark.jsonl"
    paths["demo_benchmark"].write_text("\n".join(_benchmark(math, support_lines)) + "\n", encoding="utf-8")
    return list(paths.values())


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DATA_DIR
    for path in generate(target):
        print(path)
