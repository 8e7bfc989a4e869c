"""selection: the best ``selection.budget`` records of train by quality score, under per-domain targets
and per-topic caps (``core/select``), as a table (every train record: selected, or why not) and a
training file in the export format."""


import pickle

import dagster as dg
import pandas as pd

from curation_assets.config import PipelineConfig
from curation_assets.core.export.formats import training_lines, write_jsonl_atomically
from curation_assets.core.select.selection import select
from curation_assets.core.semantic.clusters import fit_clusters
from curation_assets.core.semantic.embed import make_embedder, frame_texts
from curation_assets.defs.report import split_sample
from curation_assets.defs.publishing import metadata_table
from curation_assets.defs.resources import WarehouseResource
from curation_assets.defs.split import GROUP, TRAIN_KEY
from curation_assets.engine.decided_stage import map_shards
from curation_assets.engine.selection import SLIM_COLUMNS, ScoreShard
from curation_assets.engine.semantic_dedup import SemanticModel
from curation_assets.storage.sql_files import sql

SELECTION_KEY = dg.AssetKey("selection")
TARGETS_CHECK = "domain_shares_meet_targets"
TOLERANCE = 0.02  # a domain's share of the selection may miss its target by at most 2 points
SELECTED_FILE = "selected/train-selected.jsonl"


def target_misses(targets: dict[str, float], achieved: dict[str, float], available: dict[str, int],
                  selected: int) -> dict[str, dict]:
    """Targeted domains whose share of the selection is more than ``TOLERANCE`` off. A domain with fewer
    records than its target asks gives all it has; the others are held to their targets rescaled to the
    share that is left."""
    short = {domain for domain, share in targets.items() if share > 0 and available.get(domain, 0) < share * selected}
    left = 1.0 - sum(achieved.get(domain, 0.0) for domain in short)
    rest = sum(share for domain, share in targets.items() if domain not in short)
    misses = {}
    for domain, share in targets.items():
        if share <= 0 or domain in short or not rest:
            continue
        expected = share / rest * left
        if abs(achieved.get(domain, 0.0) - expected) > TOLERANCE:
            misses[domain] = {"target": round(share, 4), "expected": round(expected, 4),
                              "achieved": achieved.get(domain, 0.0)}
    return misses



def definitions(config: PipelineConfig) -> dg.Definitions:
    settings = config.selection
    if settings is None:
        return dg.Definitions()
    budget_text = (f"{settings.budget:,} records" if settings.budget is not None
                   else f"{settings.budget_tokens:,} tokens of records")

    @dg.asset(
        key=SELECTION_KEY,
        deps=[TRAIN_KEY],
        group_name=GROUP,
        kinds={"duckdb", "json"},
        description=(f"The best {budget_text} of train by quality score (judge, length, real, "
                     f"unrepeated words), meeting per-domain targets, at most {settings.max_cluster_share:.0%} of a "
                     f"domain's picks from one topic; table selection says why each other record was left out; "
                     f"{SELECTED_FILE} in the export format."),
        code_version=config.stage_version(settings),
        check_specs=[dg.AssetCheckSpec(TARGETS_CHECK, asset=SELECTION_KEY, blocking=True,
                                       description=f"Each targeted domain with enough records is within "
                                                   f"{TOLERANCE:.0%} of its target share of the selection.")],
    )
    def selection(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        store = warehouse.get()
        shards = store.shards
        sample = split_sample(store, "train", settings.sample, settings.seed)
        with shards.scratch_folder("selection") as scratch, store.reading("train") as files:
            model_uri = None
            if len(sample) >= 3:
                embedder = make_embedder(frame_texts(sample), 64, settings.seed, config.embedder_path(),
                                         config.embedder.batch_size)
                clusters = fit_clusters([embedder.embed(frame_texts(sample))], settings.clusters, settings.seed)
                model_uri = f"{scratch}/model.pickle"
                with shards.filesystem.open_output_stream(shards.path_of(model_uri)) as stream:
                    stream.write(pickle.dumps(SemanticModel(embedder, clusters)))
            parts = list(map_shards(ScoreShard(shards.root_uri, model_uri), [(f,) for f in files], config,
                                    shards.root_uri, config.engine.workers, "selection: scoring"))
        train = (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=SLIM_COLUMNS)).sort_values(
            "record_id", kind="mergesort").reset_index(drop=True)
        domains = train["source"].map(config.catalog().domain_of)
        if config.mix.record_domains is not None and store.read_frame(
                sql("table_exists"), {"table": "record_domains"})["present"].iloc[0]:
            decided = store.read_frame(sql("read_record_domains")).set_index("record_id")["domain"]
            domains = train["record_id"].map(decided).fillna(domains)
        targets = settings.domain_targets or config.mix.domain_targets
        chosen = select(train, domains, train["cluster"].to_numpy(), train["score"].to_numpy(), settings, targets,
                        train["tokens"].to_numpy() if settings.budget_tokens is not None else None)
        store.replace_table("selection", chosen.rows)
        picked = store.read_frame(sql("read_selected_records"))  # the texts of the picks only
        path = config.output_dir() / SELECTED_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        written = write_jsonl_atomically(training_lines(picked, config.export.format, config.export.system_prompt), path)
        achieved = chosen.achieved()
        sizes = chosen.rows.groupby("domain")["size"].sum()
        misses = target_misses(chosen.targets, achieved, {str(k): int(v) for k, v in sizes.items()},
                               int(chosen.rows.loc[chosen.rows["selected"], "size"].sum()))
        reasons = chosen.rows["reason"].value_counts().to_dict()
        return dg.MaterializeResult(
            metadata={
                "budget": budget_text, "selected": int(chosen.rows["selected"].sum()),
                "selected_tokens" if settings.budget_tokens is not None else "selected_records":
                    int(chosen.rows.loc[chosen.rows["selected"], "size"].sum()),
                "file": str(path),
                "records_written": written,
                "domains": metadata_table(["domain", "target", "quota", "achieved", "available"], [
                    [domain, round(chosen.targets.get(domain, 0.0), 4), chosen.quotas[domain], achieved.get(domain, 0.0),
                     int((domains == domain).sum())] for domain in sorted(chosen.quotas)]),
                "left_out": dg.MetadataValue.json({str(k): int(v) for k, v in sorted(reasons.items())}),
                "notes": dg.MetadataValue.json(chosen.notes),
                "dagster/row_count": len(chosen.rows),
            },
            check_results=[dg.AssetCheckResult(check_name=TARGETS_CHECK, passed=not misses,
                                               metadata={"misses": dg.MetadataValue.json(misses)})],
        )

    return dg.Definitions(assets=[selection])
