"""The data card: one self-contained HTML file (plots inlined) that can be mailed or attached to a model.

It answers what a reviewer asks of a training set: where it came from and under which licenses,
how much is synthetic, what was dropped and why, what the records look like, and what is odd.
"""

from __future__ import annotations

import base64
import json
from html import escape
from typing import Any

_STYLE = """
body{font-family:system-ui,-apple-system,'DejaVu Sans',sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #3b6ea8;padding-bottom:.2rem;margin-top:2.2rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#eef3f9}td.num{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:#666}.grid{display:flex;flex-wrap:wrap;gap:1rem}.grid img{max-width:100%;border:1px solid #ddd}
pre{white-space:pre-wrap;background:#f7f7f7;padding:.5rem;margin:.2rem 0;font-size:.85rem;max-height:12rem;overflow:auto}
details{margin:.3rem 0}.tag{display:inline-block;padding:0 .4rem;border-radius:.3rem;background:#eee;font-size:.8rem}
.tag.synthetic{background:#f6d5d4}.tag.real{background:#d6e4f3}
"""


def _cell(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f'<td class="num">{value:,}</td>' if isinstance(value, int) else f'<td class="num">{value:,.1f}</td>'
    return f"<td>{escape(str(value))}</td>"


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(_cell(value) for value in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _image(png: bytes, alt: str) -> str:
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def _record(record: dict) -> str:
    kind = escape(str(record.get("kind", "")))
    header = (f'<span class="tag {kind}">{kind}</span> <span class="muted">{escape(str(record.get("source", "")))}'
              f' · position {escape(str(record.get("source_position", "")))} · {escape(str(record.get("record_id", "")))}</span>')
    parts = [header, f"<pre><b>instruction</b>\n{escape(record.get('instruction') or '')}</pre>"]
    if record.get("input"):
        parts.append(f"<pre><b>input</b>\n{escape(record['input'])}</pre>")
    parts.append(f"<pre><b>response</b>\n{escape(record.get('response') or '')}</pre>")
    return "<div>" + "".join(parts) + "</div>"


def _lengths_table(lengths: dict) -> str:
    rows = []
    for field, units in lengths.items():
        for unit, values in units.items():
            rows.append([field, unit, *(values[key] for key in ("p0", "p5", "p25", "p50", "p75", "p95", "p99", "p100", "mean"))])
    return _table(["field", "unit", "min", "p5", "p25", "median", "p75", "p95", "p99", "max", "mean"], rows)


def _coverage(profile: dict) -> str:
    """Which of a split's figures are sampled: the card says so where it shows them."""
    if profile["profiled_records"] >= profile["records"]:
        return "Every figure of this split covers all its records (profiled shard by shard, merged exactly)."
    return (f"Token lengths and the language mix: profiled on a seeded sample of {profile['profiled_records']:,} "
            f"of {profile['records']:,} records. Every other figure (counts, character lengths, scripts, "
            "openings, odd characters, outliers, repeats) covers all records, merged exactly from per-shard profiles.")


def _example_tokens(example: dict) -> str:
    values = example["percentiles"]
    over = ("" if example["max_tokens"] is None else
            f"; {example['over_max_tokens']:,} ({example['share_over_max_tokens']:.1%}) longer than max_tokens "
            f"{example['max_tokens']:,}")
    return (f"<p>Whole training examples (every turn and the answer, as the tokenizer's chat template renders them, "
            f"when it has one): median {values['p50']:g} tokens, p95 {values['p95']:g}, max {values['p100']:g}"
            f"{escape(over)}.</p>")


def _coverage_section(coverage: dict) -> str:
    """Topics (clusters of the records' embeddings) and how many sampled records of each split and kind
    fall in each: what the data covers, and what only synthetic records cover."""
    if "rows" not in coverage:
        return f"<h2>Topic coverage</h2><p class='muted'>{escape(coverage['note'])}</p>"
    sampled = ", ".join(f"{split} {count:,}" for split, count in coverage["sampled"].items())
    note = (f"{coverage['clusters']} topics (k-means over TF-IDF + SVD embeddings, {escape(coverage['embedder'])}) "
            f"on a seeded sample of records: {sampled}" + (
                f"; {coverage['requested_clusters']} were asked for, the sample allows fewer"
                if coverage["clusters"] < coverage["requested_clusters"] else "") + ". The map is among the plots.")
    splits = list(coverage["sampled"])
    header = ["topic (most characteristic words)"] + [f"{split} {kind}" for split in splits for kind in ("real", "synthetic")]
    rows = [[row["label"]] + [row[f"{split}_{kind}"] for split in splits for kind in ("real", "synthetic")]
            for row in coverage["rows"]]
    return f"<h2>Topic coverage</h2><p class='muted'>{note}</p>" + _table(header, rows)


def _conversations(conversations: dict) -> str:
    if not conversations["multi_turn_records"] and not conversations["preference_pairs"]:
        return ""
    turns, tokens = conversations["turns_per_record"], conversations["earlier_turn_tokens"]
    return ("<h3>Conversations and preference pairs</h3>"
            + _table(["multi-turn records", "preference pairs", "turns per record (median / p95 / max)",
                      "tokens per earlier turn (median / p95)"],
                     [[conversations["multi_turn_records"], conversations["preference_pairs"],
                       f"{turns.get('p50', 0):g} / {turns.get('p95', 0):g} / {turns.get('p100', 0):g}",
                       f"{tokens.get('p50', 0):g} / {tokens.get('p95', 0):g}"]]))


def _split_section(name: str, profile: dict, samples: list[dict]) -> str:
    verb_object = profile["verb_object"]
    odd = profile["odd_characters"]
    outliers = profile["outliers"]
    conflicts = profile["same_instruction_different_response"]
    html = [f"<h2>Split: {escape(name)} ({profile['records']:,} records)</h2>",
            f"<p class='muted'>{escape(_coverage(profile))}</p>",
            "<h3>Lengths (characters and cl100k tokens)</h3>", _lengths_table(profile["lengths"]),
            _conversations(profile["conversations"]), _example_tokens(profile["example_tokens"]),
            "<div class='grid'><div><h3>Language mix</h3>",
            _table(["language", "records"], [[k, v] for k, v in profile["language_mix"].items()]),
            "</div><div><h3>Script mix</h3>",
            _table(["script", "records"], [[k, v] for k, v in profile["script_mix"].items()]),
            "</div><div><h3>Most common openings</h3>",
            _table(["first words", "records"], [list(pair) for pair in profile["opening_words"]]),
            "</div><div><h3>(verb, object) pairs</h3>",
            f"<p class='muted'>{verb_object['distinct_pairs']:,} distinct pairs, {verb_object['distinct_verbs']:,} verbs, "
            f"found in {verb_object['records_with_pair']:,} records</p>",
            _table(["pair", "records"], [list(pair) for pair in verb_object["top"]]), "</div></div>",
            "<h3>Special tokens and odd characters</h3>"]
    if odd:
        html.append(_table(["what", "records", "example"],
                           [[kind, entry["records"], entry["examples"][0]["snippet"] if entry["examples"] else ""]
                            for kind, entry in odd.items()]))
    else:
        html.append("<p class='muted'>None found.</p>")
    html.append(f"<h3>Same instruction, different responses</h3><p>{conflicts['instructions']:,} instructions "
                f"({conflicts['records']:,} records).</p>")
    for case in conflicts["examples"]:
        html.append(f"<details><summary>{escape(case['instruction'][:120])}</summary>"
                    + "".join(f"<pre>{escape(r)}</pre>" for r in case["responses"]) + "</details>")
    html.append("<h3>Outliers</h3>")
    for title, key in (("Longest responses", "longest_responses"), ("Shortest responses", "shortest_responses")):
        html.append(f"<details><summary>{title}</summary>"
                    + "".join(f"<pre>[{o['response_chars']:,} chars, {escape(o['source'])}] {escape(o['instruction'])}\n→ "
                              f"{escape(o['response'])}</pre>" for o in outliers[key]) + "</details>")
    if outliers["most_repeated_instructions"]:
        html.append(_table(["most repeated instruction", "records"],
                           [[o["instruction"], o["records"]] for o in outliers["most_repeated_instructions"]]))
    html.append("<h3>Sample records</h3>" + "".join(_record(record) for record in samples))
    return "".join(html)


def render_data_card(card: dict, plots: dict[str, bytes]) -> str:
    """HTML for ``card`` (see ``card.build_card`` for its keys) with ``plots`` inlined as PNG data URIs."""
    sources = card["sources"]
    mix_rows = [[split, kinds.get("real", 0), kinds.get("synthetic", 0),
                 round(100 * kinds.get("synthetic", 0) / max(1, sum(kinds.values())), 1)]
                for split, kinds in card["kind_mix"].items()]
    funnel_rows = [[row["stage"], row["reason"], row["records"]] for row in card["funnel"]]
    html = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Data card: {escape(card['title'])}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Data card: {escape(card['title'])}</h1>",
        f"<p class='muted'>config version {escape(card['config_version'])} · export format "
        f"{escape(card['export_format'])} · split seed {card['split_seed']} · tokenizer {escape(card['tokenizer'])}</p>",
        "<h2>Sources and licenses</h2>",
        _table(["source", "kind", "license", "loaded", "train", "eval"],
               [[s["name"], s["kind"], s["license"], s["loaded"], s["train"], s["eval"]] for s in sources]),
        "<h2>Real and synthetic mix</h2>", _table(["split", "real", "synthetic", "synthetic %"], mix_rows),
        "<h2>Drop funnel</h2>",
        f"<p>{card['records_loaded']:,} records read → {card['records_exported']:,} exported; "
        f"{card['records_rejected']:,} rejected, each with its stage and reason (table <code>rejections</code>).</p>",
        _table(["stage", "reason", "records"], funnel_rows),
    ]
    for row in card["funnel"]:
        examples = "".join(
            f"<pre>{escape(str(example.get('source')))}:{escape(str(example.get('source_position')))} — "
            f"{escape(str(example.get('detail') or ''))}\n{escape(example.get('instruction') or '')}</pre>"
            for example in row["examples"]
        )
        html.append(f"<details><summary>{escape(row['stage'])}: {escape(row['reason'])} — examples</summary>{examples}</details>")
    html.append("<h2>Plots</h2><div class='grid'>")
    html.extend(_image(png, name) for name, png in plots.items())
    html.append("</div>")
    html.append(_coverage_section(card.get("coverage") or {"note": "not computed"}))
    for split, profile in card["splits"].items():
        html.append(_split_section(split, profile, card["samples"].get(split, [])))
    html.append("<h2>Dataset-size ladder</h2>")
    html.append(_table(["rung", "records", "file", "over max_tokens"],
                       [[r["size"], r["records"], r["file"], "" if r.get("over_max_tokens") is None else r["over_max_tokens"]]
                        for r in card["ladder"]]))
    html.append("<h2>Row counts per table</h2>")
    html.append(_table(["table", "records"], [[k, v] for k, v in card["table_rows"].items()]))
    html.append(f"<details><summary>Machine-readable card</summary><pre>{escape(json.dumps(card['summary'], indent=1))}</pre></details>")
    html.append("</body></html>")
    return "\n".join(html)
