"""Run the `curate` job in this fresh process, or re-execute a failed run from its failure.

    python run_job.py                 -> prints {"run_id", "status", "steps"}
    python run_job.py --from RUN_ID   -> the same, for the re-execution
    python run_job.py --scheduled ISO -> the daily schedule ticked at ISO time, and the run it requests

Tests start it as a subprocess so that the definitions are built from the environment the test set
(CURATION_CONFIG, DAGSTER_HOME), exactly as `dagster dev` or a schedule would build them.
"""

import json
import sys
from datetime import datetime

import dagster as dg

from curation_assets.config import load_config
from curation_assets.definitions import curate_job, daily_synthetic_job, defs
from curation_assets.defs.synthetic import register_batches


def main(argv: list[str]) -> None:
    instance = dg.DagsterInstance.get()
    options, job = None, curate_job
    if len(argv) == 2 and argv[0] == "--from":
        options = dg.ReexecutionOptions.from_failure(argv[1], instance)
    if len(argv) == 2 and argv[0] == "--scheduled":
        # What the daemon does on a tick: evaluate the schedule, then launch the run it requests.
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=datetime.fromisoformat(argv[1]),
                                            repository_def=defs.get_repository_def())
        [request] = defs.resolve_schedule_def("daily_synthetic_batch").evaluate_tick(context).run_requests
        job, tags = daily_synthetic_job, request.tags
    else:
        # As `curation run` does: the config's synthetic batches become partitions, one run covers them all.
        tags = register_batches(instance, load_config()) if options is None else None
    result = dg.execute_job(dg.reconstructable(job), instance=instance, reexecution_options=options,
                            tags=tags, raise_on_error=False)
    steps = sorted({event.step_key for event in result.all_events if event.is_step_success})
    print(json.dumps({"run_id": result.run_id, "status": "SUCCESS" if result.success else "FAILURE",
                      "steps": steps}))


if __name__ == "__main__":
    main(sys.argv[1:])
