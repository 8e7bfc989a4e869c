"""The one partition space of the graph: arrivals of records, each a dynamic partition.

A partition is a synthetic batch (``synth_invoices``), a day of a daily batch
(``synth_forms_de_20261127``) or a file dropped into the inbox (``inbox/feedback.jsonl``); its key
is the ``source`` of the records it brings. ``synthetic_batches`` and ``raw_inbox`` share this
space and each materializes only its own keys: one space lets a single run (``curation run``, the
UI's "Materialize all") cover every partitioned asset, which Dagster cannot do for two partitioned
roots with different partitions definitions.
"""

import dagster as dg

from curation_assets.config import PipelineConfig
from curation_assets.core.load.settings import INBOX_SOURCE_PREFIX

ARRIVALS = dg.DynamicPartitionsDefinition(name="record_batches")
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def is_inbox_key(key: str) -> bool:
    return key.startswith(INBOX_SOURCE_PREFIX)


def range_tags(keys: list[str]) -> dict[str, str]:
    """Run tags that make one run cover every partition from the first to the last of ``keys``."""
    return {RANGE_START_TAG: keys[0], RANGE_END_TAG: keys[-1]} if keys else {}


def partition_changes(config: PipelineConfig, existing: list[str], inbox_keys: list[str] = ()) -> tuple[list[str], list[str]]:
    """(partitions to add, partitions to delete) so that the space holds the active batches, the days
    of active daily batches already added, and inbox files (while an inbox is configured)."""
    catalog = config.catalog()
    wanted = [batch.name for batch in catalog.active_batches()] + list(inbox_keys)
    missing = [key for key in wanted if key not in existing]
    keep_inbox = config.inbox is not None
    stale = sorted(key for key in existing
                   if not catalog.is_active_batch(key) and not (keep_inbox and is_inbox_key(key)))
    return missing, stale


def add_partitions(instance: dg.DagsterInstance, missing: list[str]) -> None:
    try:
        instance.add_dynamic_partitions(ARRIVALS.name, missing)
    except Exception:
        # Two runs starting together (a scheduled and a manual one) may register the same keys;
        # the loser's insert fails on the unique key, and that is fine once they all exist.
        if set(missing) - set(instance.get_dynamic_partitions(ARRIVALS.name)):
            raise


def sync_partitions(instance: dg.DagsterInstance, config: PipelineConfig, inbox_keys: list[str] = ()) -> dict[str, str]:
    """Make the instance's partitions what ``partition_changes`` wants; return the run tags covering them all."""
    missing, stale = partition_changes(config, instance.get_dynamic_partitions(ARRIVALS.name), inbox_keys)
    for key in stale:
        instance.delete_dynamic_partition(ARRIVALS.name, key)
    if missing:
        add_partitions(instance, missing)
    return range_tags(list(instance.get_dynamic_partitions(ARRIVALS.name)))


def arrivals_job(name: str, description: str, partitioned: list[dg.AssetKey]):
    """A job for runs that bring one arrival (a day's batches, an inbox file): the partitioned assets,
    then everything downstream; the configured sources are not re-read. It selects every partitioned
    asset, each skipping keys that are not its own, so that none shows another's arrivals as missing
    partitions (which would hold back the automation of what reads it)."""
    return dg.define_asset_job(name, selection=dg.AssetSelection.assets(*partitioned).downstream().materializable(),
                               description=description, tags={"curation/pipeline": name})
