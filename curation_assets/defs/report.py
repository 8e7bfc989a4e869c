"""Reports: statistics of every stage, the dataset-size ladder and the data card (HTML + plots)."""

import base64
import json

import dagster as dg
import pandas as pd

from curation_assets.config import PipelineConfig
from curation_assets.core.files import file_sha256
from curation_assets.core.load.settings import INBOX_SOURCE_PREFIX
from curation_assets.core.report import plots, stats
from curation_assets.core.report.data_card import render_data_card
from curation_assets.core.report.markdown import markdown_table
from curation_assets.core.export.formats import training_lines, write_jsonl_atomically
from curation_assets.core.report.ladders import ladder, ladder_order, mix_tolerance
from curation_assets.defs.export import EXPORTS_KEY
from curation_assets.defs.inbox import INBOX_TABLE
from curation_assets.defs.resources import WarehouseResource
from curation_assets.defs.split import EVAL_KEY, TRAIN_KEY
from curation_assets.storage.sql_files import sql
from curation_assets.storage.warehouse import Warehouse

GROUP = "reports"
STATISTICS_KEY = dg.AssetKey("statistics")
LADDER_KEY = dg.AssetKey("ladder")
DATA_CARD_KEY = dg.AssetKey("data_card")
_QUANTILES = ("p0", "p5", "p25", "p50", "p75", "p95", "p100")
# Stages that drop records before they reach `combined` (loading, synthetic generation, verification).
STAGES_BEFORE_COMBINE = ["load", "synthetic", "verify"]
BALANCE_CHECK = "pipeline_balances"


def _record_tables(store: Warehouse) -> list[str]:
    return store.read_frame(sql("record_tables"))["table_name"].tolist()


def table_profiles(store: Warehouse) -> pd.DataFrame:
    """One row per (table, source, kind): records and character-length percentiles per field."""
    rows = []
    for table in _record_tables(store):
        profile = store.read_frame(sql("table_profile", table=table))
        for record in profile.to_dict("records"):
            row = {"table_name": table, "source": record["source"], "kind": record["kind"],
                   "records": int(record["records"])}
            for field in ("instruction", "input", "response"):
                for name, value in zip(_QUANTILES, record[f"{field}_chars"]):
                    row[f"{field}_chars_{name}"] = float(value)
            rows.append(row)
    return pd.DataFrame(rows)


def row_count(store: Warehouse, table: str) -> int:
    return int(store.read_frame(sql("count_rows", table=table))["records"][0])


def funnel(store: Warehouse, examples: int) -> list[dict]:
    with store.connect() as connection:
        cursor = connection.execute(sql("rejection_funnel"), {"examples": examples})
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def _png_markdown(png: bytes, alt: str) -> dg.MetadataValue:
    return dg.MetadataValue.md(f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode()})")


def _inbox_row(config: PipelineConfig, splits: dict[str, pd.DataFrame], loaded: dict[str, int]) -> list[dict]:
    """The inbox's files as one row of the sources table (each file is its own source in the splits)."""
    if config.inbox is None:
        return []
    from_inbox = {name: frame["source"].str.startswith(INBOX_SOURCE_PREFIX) for name, frame in splits.items()}
    return [{"name": f"inbox ({config.inbox.path})", "kind": config.inbox.kind, "license": config.inbox.license,
             "loaded": loaded[INBOX_TABLE], "train": int(from_inbox["train"].sum()), "eval": int(from_inbox["eval"].sum())}]


def report_assets(config: PipelineConfig) -> list[dg.AssetsDefinition]:
    settings = config.report

    @dg.asset(
        key=STATISTICS_KEY,
        deps=[TRAIN_KEY, EVAL_KEY],
        group_name=GROUP,
        kinds={"duckdb"},
        description="Per table, source and kind: records and character-length percentiles of every stage.",
        check_specs=[dg.AssetCheckSpec(
            BALANCE_CHECK, asset=STATISTICS_KEY, blocking=True,
            description="End to end: records that entered `combined` = records in train + eval + records rejected after.",
        )],
    )
    def statistics(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        store = warehouse.get()
        profiles = table_profiles(store)
        store.replace_table("statistics", profiles)
        balance = store.read_frame(sql("pipeline_balance"), {"before_combine": STAGES_BEFORE_COMBINE}).iloc[0]
        entered, exported, rejected = (int(balance[name]) for name in ("entered", "exported", "rejected"))
        rows = [[table, row_count(store, table)] for table in _record_tables(store)]
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(profiles),
                "records_per_table": dg.MetadataValue.md(markdown_table(["table", "records"], rows)),
            },
            check_results=[dg.AssetCheckResult(
                check_name=BALANCE_CHECK,
                passed=entered == exported + rejected,
                metadata={"entered_combined": entered, "exported": exported, "rejected_after_combine": rejected},
            )],
        )

    @dg.asset(
        key=LADDER_KEY,
        deps=[TRAIN_KEY],
        group_name=GROUP,
        kinds={"duckdb", "json"},
        description=(f"Nested subsets of train of sizes {settings.ladder_sizes}, each keeping the source mix, "
                     "for the 'performance against dataset size' experiment."),
        code_version=config.stage_version(settings, config.export),
        check_specs=[dg.AssetCheckSpec("rungs_nested_with_source_mix", asset=LADDER_KEY, blocking=True)],
    )
    def ladder_asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        store = warehouse.get()
        train = store.read_records("train")
        rungs = ladder(train, settings.ladder_sizes, settings.ladder_seed)
        folder = config.output_dir() / "ladder"
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("train_*.jsonl"):
            stale.unlink()
        listing, problems, previous = [], [], set()
        overall = train["source"].value_counts(normalize=True)
        for size, rung in rungs.items():
            path = folder / f"train_{size}.jsonl"
            write_jsonl_atomically(training_lines(rung, config.export.format, config.export.system_prompt), path)
            ids = set(rung["record_id"])
            if not previous <= ids:
                problems.append(f"rung {size} does not contain the previous rung")
            previous = ids
            share = rung["source"].value_counts(normalize=True).reindex(overall.index, fill_value=0.0)
            worst = float((share - overall).abs().max())
            if worst > mix_tolerance(size, len(overall)) + 1e-9:
                problems.append(f"rung {size} drifts from the source mix by {worst:.3f}")
            listing.append({"size": size, "records": len(rung), "path": str(path),
                            "sha256": file_sha256(path),
                            "by_source": json.dumps(stats.counts(rung, "source"), sort_keys=True)})
        table = pd.DataFrame(listing, columns=["size", "records", "path", "sha256", "by_source"])
        store.replace_table("ladder", table)
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(table),
                "rungs": dg.MetadataValue.md(markdown_table(
                    ["size", "by source"], [[row["size"], row["by_source"]] for row in listing])),
                "folder": dg.MetadataValue.path(str(folder)),
            },
            check_results=[dg.AssetCheckResult(check_name="rungs_nested_with_source_mix", passed=not problems,
                                               metadata={"problems": dg.MetadataValue.json(problems)})],
        )

    @dg.asset(
        key=DATA_CARD_KEY,
        deps=[STATISTICS_KEY, LADDER_KEY, EXPORTS_KEY],
        group_name=GROUP,
        kinds={"html"},
        description="A self-contained HTML data card in the export folder: sources, licenses, mix, funnel, "
                    "plots, per-split statistics and sample records.",
        code_version=config.stage_version(settings),
        check_specs=[dg.AssetCheckSpec("card_has_every_section", asset=DATA_CARD_KEY, blocking=True)],
    )
    def data_card(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        store = warehouse.get()
        splits = {name: store.read_records(name) for name in ("train", "eval")}
        profiles = {name: stats.profile_split(frame, settings.tokenizer, settings.top, settings.examples)
                    for name, frame in splits.items()}
        drop_funnel = funnel(store, settings.examples)
        table_rows = {table: row_count(store, table) for table in _record_tables(store)}
        both = pd.concat([frame.assign(split=name) for name, frame in splits.items()], ignore_index=True)
        loaded = {source.name: table_rows.get(f"raw_{source.name}", 0) for source in config.sources}
        if config.inbox is not None:
            loaded[INBOX_TABLE] = table_rows.get(INBOX_TABLE, 0)

        figures = {
            "response_tokens": plots.length_histogram(
                {name: stats.token_counts(frame["response"], settings.tokenizer) for name, frame in splits.items()},
                "Response length", "tokens (cl100k)", settings.histogram_bins),
            "instruction_tokens": plots.length_histogram(
                {name: stats.token_counts(frame["instruction"], settings.tokenizer) for name, frame in splits.items()},
                "Instruction length", "tokens (cl100k)", settings.histogram_bins),
            "source_mix": plots.source_mix(both, "Records per source (train + eval)"),
            "drop_funnel": plots.horizontal_bars(
                [(f"{row['stage']}: {row['reason']}", int(row["records"])) for row in drop_funnel] or [("none", 0)],
                "Rejected records by stage and reason"),
            "opening_words": plots.horizontal_bars(profiles["train"]["opening_words"] or [("none", 0)],
                                                   "Most common instruction openings (train)"),
            "verb_object": plots.horizontal_bars(profiles["train"]["verb_object"]["top"] or [("none", 0)],
                                                 "Most common (verb, object) pairs (train)"),
        }
        card = {
            "title": settings.title,
            "config_version": config.version(),
            "export_format": config.export.format,
            "split_seed": config.split.seed,
            "tokenizer": settings.tokenizer,
            "sources": [{"name": s.name, "kind": s.kind, "license": s.license, "loaded": loaded[s.name],
                         "train": int((splits["train"]["source"] == s.name).sum()),
                         "eval": int((splits["eval"]["source"] == s.name).sum())} for s in config.sources]
                       + _inbox_row(config, splits, loaded),
            "kind_mix": {name: stats.counts(frame, "kind") for name, frame in splits.items()},
            "records_loaded": sum(loaded.values()) + sum(r["records"] for r in drop_funnel if r["stage"] == "load"),
            "records_exported": sum(len(frame) for frame in splits.values()),
            "records_rejected": sum(int(row["records"]) for row in drop_funnel),
            "funnel": drop_funnel,
            "splits": profiles,
            "samples": {name: ladder_order(frame, settings.ladder_seed).head(settings.samples_per_split)
                        .to_dict("records") for name, frame in splits.items()},
            "ladder": [{"size": int(row.size), "records": int(row.records), "file": row.path.rsplit("/", 1)[-1]}
                       for row in store.read_frame(sql("read_ladder")).itertuples()],
            "table_rows": table_rows,
        }
        card["summary"] = {key: card[key] for key in ("sources", "kind_mix", "records_loaded", "records_exported",
                                                       "records_rejected", "table_rows")}
        html = render_data_card(card, figures)
        output_dir = config.output_dir()
        output_dir.mkdir(parents=True, exist_ok=True)
        card_path = output_dir / "data_card.html"
        card_path.write_text(html, encoding="utf-8")
        plot_dir = output_dir / "plots"
        plot_dir.mkdir(exist_ok=True)
        for name, png in figures.items():
            (plot_dir / f"{name}.png").write_bytes(png)

        required = ["Sources and licenses", "Real and synthetic mix", "Drop funnel", "Split: train", "Split: eval",
                    "Sample records", "Dataset-size ladder"]
        missing = [section for section in required if section not in html]
        images = html.count("data:image/png;base64,")
        funnel_md = markdown_table(["stage", "reason", "records"],
                                    [[row["stage"], row["reason"], row["records"]] for row in drop_funnel])
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(card_path)),
                "drop_funnel": dg.MetadataValue.md(funnel_md),
                "train_lengths": dg.MetadataValue.json(profiles["train"]["lengths"]),
                "train_opening_words": dg.MetadataValue.json(dict(profiles["train"]["opening_words"])),
                "train_verb_object": dg.MetadataValue.json(profiles["train"]["verb_object"]),
                "odd_characters": dg.MetadataValue.json({k: v["records"] for k, v in profiles["train"]["odd_characters"].items()}),
                "language_mix": dg.MetadataValue.json(profiles["train"]["language_mix"]),
                "script_mix": dg.MetadataValue.json(profiles["train"]["script_mix"]),
                **{f"plot_{name}": _png_markdown(png, name) for name, png in figures.items()},
            },
            check_results=[dg.AssetCheckResult(
                check_name="card_has_every_section",
                passed=not missing and images == len(figures),
                metadata={"missing_sections": dg.MetadataValue.json(missing), "images": images},
            )],
        )

    return [statistics, ladder_asset, data_card]
