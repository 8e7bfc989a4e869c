"""Task functions for the worker-pool tests: spawned workers import them by module name."""

import os


def worker_pid(task: int) -> tuple[int, int]:
    return task, os.getpid()


def fail_on(task: int) -> int:
    if task == 3:
        raise ValueError("task 3 fails")
    return task
