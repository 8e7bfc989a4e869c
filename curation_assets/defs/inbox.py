"""raw_inbox: a watched folder. Each file dropped there becomes a partition of ``raw_inbox`` and a run.

The ``inbox_files`` sensor lists the folder; a new file (or a file whose size or modification time
changed) gets a partition ``inbox/<file name>`` and a run that loads it and refreshes everything
downstream. That key is also the ``source`` of the file's records, which replace only that file's
earlier rows, so files can arrive in any order and be re-dropped. The partition space is shared
with the synthetic batches (``defs/partitions.py``); this asset skips their keys.
"""


import hashlib
import json
import os
import re
import time
from pathlib import Path

import dagster as dg
import pandas as pd

from curation_assets.checks.suites import record_suite
from curation_assets.config import PipelineConfig
from curation_assets.core.load.settings import INBOX_FORMATS, INBOX_SOURCE_PREFIX
from curation_assets.core.reconcile import reconcile_counts
from curation_assets.core.records import as_rejections, empty_records, record_id
from curation_assets.core.load.readers import STAGE, SourceError, load_source
from curation_assets.defs.partitions import ARRIVALS, is_inbox_key
from curation_assets.defs.publishing import PartitionPublisher, every_partition_check_spec, record_check_specs

GROUP = "sources"
INBOX_TABLE = "raw_inbox"
INBOX_KEY = dg.AssetKey(INBOX_TABLE)
INBOX_JOB = "ingest_inbox"
FILE_TAG = "curation/inbox_file"
# Files still being written by common tools: picked up once renamed to their final name.
_IN_PROGRESS_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".download", ".swp")
# Dagster refuses these in partition keys.
_INVALID_KEY_PARTS = ("...", "\a", "\b", "\f", "\n", "\r", "\t", "\v", "\0")


def inbox_source(file_name: str) -> str:
    return f"{INBOX_SOURCE_PREFIX}{file_name}"


def _quarantine_name(file_name: str) -> str:
    """``raw_inbox_<name>``; a name the folding changes (case, other characters) gets a digest of the
    exact name too, so ``A.jsonl`` and ``a.jsonl`` keep distinct quarantine tables."""
    folded = re.sub(r"[^a-z0-9_]", "_", file_name.lower())
    if folded != file_name.replace(".", "_"):
        folded += "_" + hashlib.sha256(file_name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{INBOX_TABLE}_{folded}"


def contained_file(folder: Path, file_name: str) -> Path:
    """``folder / file_name`` when it is a regular file placed in the folder itself; SourceError for a
    name that leaves the folder (a separator, ``..``) or a symbolic link (the inbox never follows one:
    a link to /etc/passwd would otherwise be loaded and its lines published)."""
    if not file_name or file_name in (".", "..") or "/" in file_name or "\0" in file_name:
        raise SourceError(f"{file_name!r} is not a file name inside the inbox folder; refused")
    path = folder / file_name
    if path.is_symlink():
        raise SourceError(f"{file_name} is a symbolic link; the inbox loads only regular files placed in it")
    if path.exists() and os.path.realpath(path.parent) != os.path.realpath(folder):
        raise SourceError(f"{file_name} resolves outside the inbox folder {folder}; refused")
    return path


def _file_error(file_name: str, kind: str, error: Exception) -> pd.DataFrame:
    """The one rejection row a file that cannot be read at all leaves behind."""
    source = inbox_source(file_name)
    lineage = json.dumps({"source": source, "file": file_name}, sort_keys=True)
    return as_rejections(pd.DataFrame([{
        "record_id": record_id(source, -1, None, "unreadable_file", str(error), ""), "source": source,
        "source_position": pd.NA, "reason": "unreadable_file", "detail": str(error), "kind": kind, "lineage": lineage,
    }]), STAGE)


def definitions(config: PipelineConfig) -> dg.Definitions:
    """The inbox's asset and the sensor watching its folder; nothing without an inbox."""
    if config.inbox is None:
        return dg.Definitions()
    inbox = config.inbox
    suite = record_suite(INBOX_TABLE, config, require_text=False)

    @dg.asset(
        key=INBOX_KEY,
        partitions_def=ARRIVALS,
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name=GROUP,
        kinds={"duckdb", "python"},
        description=(f"Files dropped into the inbox folder ({inbox.path}), one partition each, read with the inbox's "
                     f"field mapping; each file's records have source 'inbox/<file name>'."),
        code_version=config.stage_version(inbox, config.checks),
        check_specs=[*record_check_specs(INBOX_KEY, suite), every_partition_check_spec(INBOX_KEY)],
        tags={"source_kind": inbox.kind},
        required_resource_keys={"warehouse"},
    )
    def raw_inbox(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        store = context.resources.warehouse.get()
        folder = config.inbox_dir()
        publisher = PartitionPublisher(context, store, INBOX_KEY, suite, STAGE)
        per_file, unreadable = {}, {}
        for key in [key for key in context.partition_keys if is_inbox_key(key)]:
            file_name = key[len(INBOX_SOURCE_PREFIX):]
            source = inbox.source_for(file_name)
            try:
                path = contained_file(folder, file_name)
                if not path.exists():
                    # The inbox is a drop zone that people clean up: what a file brought stays until it is replaced.
                    per_file[file_name] = {"removed_from_inbox": True, "rows_kept": "as last loaded"}
                    context.log.info(f"inbox file {file_name} is no longer in {folder}; its rows stay as last loaded")
                    continue
                loaded = load_source(source, path)
            except SourceError as error:
                # The file's earlier rows (if any) go: what is published must be what the inbox holds now.
                store.publish_partition(INBOX_TABLE, source.name, empty_records(), _file_error(
                    file_name, inbox.kind, error), STAGE, quarantine=_quarantine_name(file_name))
                unreadable[file_name] = str(error)
                context.log.error(f"inbox file {file_name}: {error}")
                continue
            published = publisher.publish(
                source.name, loaded.records, loaded.rejections,
                reconcile_counts(loaded.records_in, len(loaded.records), len(loaded.rejections)),
                quarantine=_quarantine_name(file_name), label=f"inbox file {file_name}")
            per_file[file_name] = {"records_in": loaded.records_in, "loaded": len(loaded.records),
                                   "quarantined_rows": len(loaded.rejections), "published": published}
            context.log.info(f"inbox file {file_name}: {per_file[file_name]}")
        if unreadable:
            raise dg.Failure(
                f"{len(unreadable)} inbox file(s) could not be read; each left an 'unreadable_file' row in "
                f"rejections. Fix or remove them: " + "; ".join(f"{name}: {why}" for name, why in unreadable.items()),
                metadata={"unreadable": dg.MetadataValue.json(unreadable), "loaded": dg.MetadataValue.json(per_file)},
            )
        return publisher.result([inbox_source(name) for name in per_file], {
            "files": dg.MetadataValue.json(per_file), "inbox_folder": dg.MetadataValue.path(str(folder))})

    return dg.Definitions(assets=[raw_inbox], sensors=[inbox_sensor(config)])


def ready_inbox_keys(config: PipelineConfig) -> list[str]:
    """The partition keys of the files in the inbox folder that are ready to load (none without an inbox)."""
    if config.inbox is None or not config.inbox_dir().is_dir():
        return []
    ready, _ = inbox_candidates(config.inbox_dir(), config.inbox.settle_seconds, time.time())
    return [inbox_source(name) for name in ready]


def inbox_candidates(folder: Path, settle_seconds: float, now: float) -> tuple[dict[str, str], dict[str, str]]:
    """(files ready to load → fingerprint, files the sensor will not load → why).

    A fingerprint changes when the file is replaced or rewritten. Hidden files, files with an
    in-progress suffix and files modified in the last ``settle_seconds`` are left for a later tick.
    """
    ready, refused = {}, {}
    for path in sorted(folder.iterdir()):
        name = path.name
        if name.startswith(".") or name.lower().endswith(_IN_PROGRESS_SUFFIXES):
            continue
        if path.is_symlink():
            refused[name] = "a symbolic link: the inbox loads only regular files placed in it"
            continue
        if not path.is_file():
            continue
        stat = path.stat()
        if now - stat.st_mtime < settle_seconds:
            continue
        if path.suffix.lower() not in INBOX_FORMATS:
            refused[name] = f"unsupported extension {path.suffix or '(none)'!r} (supported: {', '.join(INBOX_FORMATS)})"
        elif any(part in name for part in _INVALID_KEY_PARTS):
            refused[name] = "the file name cannot be a partition key (it holds '...' or a control character)"
        else:
            ready[name] = f"{stat.st_size}:{stat.st_mtime_ns}"
    return ready, refused


def inbox_sensor(config: PipelineConfig) -> dg.SensorDefinition:
    inbox = config.inbox

    @dg.sensor(
        name="inbox_files",
        job_name=INBOX_JOB,
        minimum_interval_seconds=inbox.poll_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Watches the inbox folder ({inbox.path}): each new or changed file becomes a partition of "
                    f"raw_inbox and a run that loads it and refreshes everything downstream.",
    )
    def inbox_files(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        folder = config.inbox_dir()
        folder.mkdir(parents=True, exist_ok=True)
        seen = json.loads(context.cursor) if context.cursor else {}
        ready, refused = inbox_candidates(folder, inbox.settle_seconds, time.time())
        for name, why in refused.items():
            if seen.get(name) != "refused":
                context.log.warning(f"inbox file {name} is not loaded: {why}")
        changed = {name: fingerprint for name, fingerprint in ready.items() if seen.get(name) != fingerprint}
        cursor = json.dumps({**{name: "refused" for name in refused}, **ready}, sort_keys=True)
        if not changed:
            return dg.SensorResult(skip_reason=f"no new or changed files in {folder}", cursor=cursor)
        existing = set(context.instance.get_dynamic_partitions(ARRIVALS.name))
        new = [inbox_source(name) for name in changed if inbox_source(name) not in existing]
        return dg.SensorResult(
            run_requests=[dg.RunRequest(run_key=f"{name}@{fingerprint}", partition_key=inbox_source(name),
                                        tags={FILE_TAG: name}) for name, fingerprint in changed.items()],
            dynamic_partitions_requests=[ARRIVALS.build_add_request(new)] if new else [],
            cursor=cursor,
        )

    return inbox_files
