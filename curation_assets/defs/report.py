"""Reports: statistics of every stage, the dataset-size ladder and the data card (HTML + plots)."""

import base64
from collections import Counter

import dagster as dg
import pandas as pd

from curation_assets.config import PipelineConfig
from curation_assets.core.report import card as data_cards
from curation_assets.core.report import plots
from curation_assets.core.report.coverage import topic_coverage
from curation_assets.core.report.data_card import render_data_card
from curation_assets.core.report.ladders import (ladder_candidates, ladder_order, ladder_problems, rung_sizes,
                                                 whole_rung_problems, write_ladder, LengthLimit)
from curation_assets.core.report.split_profile import finish, merge_parts, sample_rate
from curation_assets.defs.load import raw_table
from curation_assets.defs.publishing import metadata_table
from curation_assets.defs.export import EXPORTS_KEY
from curation_assets.defs.inbox import INBOX_TABLE
from curation_assets.defs.resources import WarehouseResource
from curation_assets.defs.split import EVAL_KEY, TRAIN_KEY
from curation_assets.engine.pool import map_tasks
from curation_assets.engine.progress import tracked
from curation_assets.engine.shard_reports import (CandidateTask, ProfileTask, profile_shard, read_positions,
                                                  shard_ladder_candidates, sorted_batches)
from curation_assets.storage.sql_files import sql
from curation_assets.storage.warehouse import Warehouse

GROUP = "reports"
STATISTICS_KEY = dg.AssetKey("statistics")
LADDER_KEY = dg.AssetKey("ladder")
DATA_CARD_KEY = dg.AssetKey("data_card")
# Stages that drop records before they reach `combined` (loading, synthetic generation, verification).
STAGES_BEFORE_COMBINE = ["load", "synthetic", "verify"]
BALANCE_CHECK = "pipeline_balances"


def _record_tables(store: Warehouse) -> list[str]:
    return store.read_frame(sql("record_tables"))["table_name"].tolist()


def table_profiles(store: Warehouse) -> pd.DataFrame:
    """One row per (table, source, kind): records and character-length percentiles per field."""
    return pd.DataFrame([row for table in _record_tables(store)
                         for row in data_cards.table_profile_rows(table, store.read_frame(sql("table_profile", table=table)))])


def row_count(store: Warehouse, table: str) -> int:
    return int(store.read_frame(sql("count_rows", table=table))["records"][0])


def funnel(store: Warehouse, examples: int) -> list[dict]:
    with store.connect() as connection:
        cursor = connection.execute(sql("rejection_funnel"), {"examples": examples})
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def split_profile(store: Warehouse, split: str, config: PipelineConfig) -> dict:
    """One split's data-card profile: each shard profiled on the worker pool, the parts merged."""
    settings = config.report_settings()
    rate = sample_rate(row_count(store, split), settings.profile_sample)
    with store.reading(split) as files:
        tasks = [ProfileTask(part, file, store.shards.root_uri, settings, rate) for part, file in enumerate(files)]
        merged = merge_parts(list(tracked(map_tasks(profile_shard, tasks, config.engine.workers),
                                          f"data_card: profiling {split}", len(tasks), "shards")), settings)
        return finish(merged, settings, lambda positions: read_positions(store.shards, files, positions))


def write_selection_ladder(store: Warehouse, config: PipelineConfig, folder) -> tuple[pd.DataFrame, list[str]]:
    """Rungs from the selection: rung n holds its n best records (by rank), so each rung holds the one
    before it; the largest rung is every selected record."""
    settings = config.report_settings()
    chosen = store.read_frame(sql("read_selection_ranked"))
    records = store.read_frame(sql("read_selected_records")).set_index("record_id").loc[chosen["record_id"]]
    records = records.reset_index()
    sizes = rung_sizes(settings.ladder_sizes, len(records))
    limit = (LengthLimit(settings.tokenizer, settings.max_tokens, settings.over_max_tokens)
             if settings.max_tokens is not None else None)
    rungs = {size: records.head(size) for size in sizes}
    table = write_ladder(rungs, folder, config.export, limit)
    problems, previous = [], set()
    for size, rung in rungs.items():
        ids = set(rung["record_id"])
        if not previous <= ids:
            problems.append(f"rung {size} does not contain the previous rung")
        previous = ids
    return table, problems


def write_train_ladder(store: Warehouse, config: PipelineConfig, folder) -> tuple[pd.DataFrame, list[str]]:
    """The ladder's files and listing, and what breaks its promise. Holds only each source's
    candidates for the rungs smaller than train (see ``ladder_candidates``); the rung of every
    record streams from the shards in record-id order."""
    if config.report.ladder_from == "selection":
        return write_selection_ladder(store, config, folder)
    settings = config.report
    limit = max((int(size) for size in settings.ladder_sizes if size != "all"), default=0)
    with store.reading("train") as files:
        tasks = [CandidateTask(file, store.shards.root_uri, settings.ladder_seed, limit) for file in files]
        results = list(tracked(map_tasks(shard_ladder_candidates, tasks, config.engine.workers), "ladder",
                               len(tasks), "shards"))
        source_counts = dict(sum((counts for _, counts in results), Counter()))
        total = sum(source_counts.values())
        candidates = ladder_candidates(pd.concat([frame for frame, _ in results], ignore_index=True),
                                       settings.ladder_seed, limit) if results else pd.DataFrame()
        ordered = ladder_order(candidates, settings.ladder_seed, source_counts)
        held = {size: ordered.head(size) for size in rung_sizes(settings.ladder_sizes, total) if size <= len(ordered)}
        rungs = {size: held.get(size, lambda: sorted_batches(store.shards, files))
                 for size in rung_sizes(settings.ladder_sizes, total)}
        report = config.report_settings()
        limit = (LengthLimit(report.tokenizer, report.max_tokens, report.over_max_tokens)
                 if report.max_tokens is not None else None)
        table = write_ladder(rungs, folder, config.export, limit)
    return table, ladder_problems(held, source_counts) + whole_rung_problems(table, source_counts)


def split_sample(store: Warehouse, split: str, size: int, seed: int) -> pd.DataFrame:
    """At most ``size`` records of a split, chosen by a seeded hash of their ids (the same records every
    run), in record-id order."""
    with store.reading(split) as files:
        if not files:
            return pd.DataFrame(columns=["record_id", "kind", "instruction", "input", "response"])
        with store.shards.connect_duckdb() as connection:
            return connection.execute(sql("sample_split"), {"files": files, "salt": f":{seed}", "size": size}).df().sort_values(
                    "record_id", kind="mergesort").reset_index(drop=True)


def _png_markdown(png: bytes, alt: str) -> dg.MetadataValue:
    return dg.MetadataValue.md(f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode()})")


def definitions(config: PipelineConfig) -> dg.Definitions:
    settings = config.report

    @dg.asset(
        key=STATISTICS_KEY,
        deps=[TRAIN_KEY, EVAL_KEY],
        group_name=GROUP,
        kinds={"duckdb"},
        description="Per table, source and kind: records and character-length percentiles of every stage "
                    "(approximate percentiles: DuckDB's approx_quantile, one streaming pass per table).",
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
                "percentiles": "approximate (approx_quantile, t-digest); record counts exact",
                "records_per_table": metadata_table(["table", "records"], rows),
            },
            check_results=[dg.AssetCheckResult(
                check_name=BALANCE_CHECK,
                passed=entered == exported + rejected,
                metadata={"entered_combined": entered, "exported": exported, "rejected_after_combine": rejected},
            )],
        )

    @dg.asset(
        key=LADDER_KEY,
        deps=[TRAIN_KEY, *([dg.AssetKey("selection")] if settings.ladder_from == "selection" else [])],
        group_name=GROUP,
        kinds={"duckdb", "json"},
        description=(f"Nested subsets of train of sizes {settings.ladder_sizes}, "
                     + ("the selection's best records first (rung n: its n best), " if settings.ladder_from == "selection"
                        else "each keeping the source mix, ") +
                     "for the 'performance against dataset size' experiment."),
        code_version=config.stage_version(settings, config.export),
        check_specs=[dg.AssetCheckSpec("rungs_nested_with_source_mix", asset=LADDER_KEY, blocking=True)],
    )
    def ladder_asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        store = warehouse.get()
        folder = config.output_dir() / "ladder"
        table, problems = write_train_ladder(store, config, folder)
        store.replace_table("ladder", table)
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(table),
                "rungs": metadata_table(["size", "by source"], [[int(row.size), row.by_source] for row in table.itertuples()]),
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
        profiles = {name: split_profile(store, name, config) for name in ("train", "eval")}
        drop_funnel = funnel(store, settings.examples)
        table_rows = {table: row_count(store, table) for table in _record_tables(store)}
        loaded = {source.name: table_rows.get(raw_table(source), 0) for source in config.sources}
        card = data_cards.build_card(config, profiles, drop_funnel, table_rows, loaded,
                                     inbox_loaded=table_rows.get(INBOX_TABLE, 0) if config.inbox is not None else 0,
                                     ladder_rows=store.read_frame(sql("read_ladder")))
        coverage = topic_coverage({name: split_sample(store, name, settings.coverage_sample, settings.ladder_seed)
                                   for name in ("train", "eval")}, settings.topic_clusters, settings.ladder_seed,
                                  model_path=config.embedder_path())
        card["coverage"] = {key: value for key, value in coverage.items() if key != "map"}
        figures = data_cards.card_figures(profiles, drop_funnel, config)
        if "map" in coverage:
            figures["topic_map"] = plots.topic_map(coverage["map"], coverage["labels"])
        html = render_data_card(card, figures)
        card_path = data_cards.write_card(html, figures, config.output_dir())
        missing = data_cards.missing_sections(html)
        images = html.count(data_cards.INLINE_PNG)
        funnel_table = metadata_table(["stage", "reason", "records"],
                                      [[row["stage"], row["reason"], int(row["records"])] for row in drop_funnel])
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(card_path)),
                "drop_funnel": funnel_table,
                "train_lengths": dg.MetadataValue.json(profiles["train"]["lengths"]),
                "profiled_records": dg.MetadataValue.json(
                    {name: {"records": profile["records"], "tokens_and_language_on": profile["profiled_records"]}
                     for name, profile in profiles.items()}),
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

    return dg.Definitions(assets=[statistics, ladder_asset, data_card])
