"""Reports: statistics of every stage, the dataset-size ladder and the data card (HTML + plots)."""

import base64

import dagster as dg
import pandas as pd

from curation_assets.config import PipelineConfig
from curation_assets.core.report import card as data_cards
from curation_assets.core.report.data_card import render_data_card
from curation_assets.core.report.ladders import ladder, ladder_problems, write_ladder
from curation_assets.core.report.markdown import markdown_table
from curation_assets.defs.load import raw_table
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


def _png_markdown(png: bytes, alt: str) -> dg.MetadataValue:
    return dg.MetadataValue.md(f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode()})")


def definitions(config: PipelineConfig) -> dg.Definitions:
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
        table = write_ladder(rungs, folder, config.export)
        problems = ladder_problems(rungs, train)
        store.replace_table("ladder", table)
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(table),
                "rungs": dg.MetadataValue.md(markdown_table(
                    ["size", "by source"], [[row.size, row.by_source] for row in table.itertuples()])),
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
        profiles = data_cards.split_profiles(splits, config)
        drop_funnel = funnel(store, settings.examples)
        table_rows = {table: row_count(store, table) for table in _record_tables(store)}
        loaded = {source.name: table_rows.get(raw_table(source), 0) for source in config.sources}
        card = data_cards.build_card(config, splits, profiles, drop_funnel, table_rows, loaded,
                                     inbox_loaded=table_rows.get(INBOX_TABLE, 0) if config.inbox is not None else 0,
                                     ladder_rows=store.read_frame(sql("read_ladder")))
        figures = data_cards.card_figures(splits, profiles, drop_funnel, config)
        html = render_data_card(card, figures)
        card_path = data_cards.write_card(html, figures, config.output_dir())
        missing = data_cards.missing_sections(html)
        images = html.count(data_cards.INLINE_PNG)
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

    return dg.Definitions(assets=[statistics, ladder_asset, data_card])
