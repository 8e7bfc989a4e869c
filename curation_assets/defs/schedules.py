"""The daily schedule: a new partition of every ``daily: true`` batch, then everything downstream refreshed.

A day's partition is ``<batch>_<yyyymmdd>`` with a seed derived from the day, so each day brings new
records, and re-running a day (a retried tick, a manual re-execution) regenerates the same ones.
"""


import dagster as dg

from curation_assets.config import PipelineConfig
from curation_assets.core.synthetic.settings import dated_batch_key
from curation_assets.defs.partitions import ARRIVALS, RANGE_END_TAG, RANGE_START_TAG, add_partitions

DAILY_JOB = "daily_synthetic"
DAY_TAG = "curation/day"


def day_run_requests(day: str, keys: list[str], ordered: list[str]) -> list[dg.RunRequest]:
    """One run for the day's partitions when they are contiguous in the instance (they are when the
    schedule added them together), else one run per partition."""
    positions = sorted(ordered.index(key) for key in keys)
    if positions == list(range(positions[0], positions[0] + len(keys))):
        tags = {RANGE_START_TAG: ordered[positions[0]], RANGE_END_TAG: ordered[positions[-1]], DAY_TAG: day}
        return [dg.RunRequest(run_key=f"daily-{day}", tags=tags)]
    return [dg.RunRequest(run_key=f"daily-{day}-{key}", partition_key=key, tags={DAY_TAG: day}) for key in keys]


def daily_schedule(config: PipelineConfig) -> dg.ScheduleDefinition:
    settings = config.schedule
    daily_batches = config.catalog().daily_batches()
    daily = ", ".join(batch.name for batch in daily_batches)

    @dg.schedule(
        name="daily_synthetic_batch",
        job_name=DAILY_JOB,
        cron_schedule=settings.cron,
        execution_timezone=settings.timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING if settings.running else dg.DefaultScheduleStatus.STOPPED,
        description=f"Adds today's partition of each daily batch ({daily}) and refreshes everything downstream.",
    )
    def daily_synthetic_batch(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
        day = context.scheduled_execution_time.strftime("%Y%m%d")
        keys = [dated_batch_key(batch.name, day) for batch in daily_batches]
        # Schedules cannot return partition requests (sensors can): the tick adds them itself.
        missing = [key for key in keys if key not in context.instance.get_dynamic_partitions(ARRIVALS.name)]
        if missing:
            add_partitions(context.instance, missing)
        context.log.info(f"day {day}: partitions {', '.join(keys)}" + (f" ({len(missing)} new)" if missing else ""))
        return day_run_requests(day, keys, list(context.instance.get_dynamic_partitions(ARRIVALS.name)))

    return daily_synthetic_batch
