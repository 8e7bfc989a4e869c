"""Task functions for the worker-pool tests: spawned workers import them by module name."""

import os


def worker_pid(task: int) -> tuple[int, int]:
    return task, os.getpid()


def fail_on(task: int) -> int:
    if task == 3:
        raise ValueError("task 3 fails")
    return task


def die_once(task: tuple[int, str]) -> int:
    """Task 2 kills its own worker process the first time it runs (the marker file remembers)."""
    index, marker_dir = task
    marker = os.path.join(marker_dir, f"died-{index}")
    if index == 2 and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    return index * index
