"""`dagster dev` on 127.0.0.1 for tests: started with the test's environment, stopped cleanly."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from support import REPO_ROOT

CHROMIUM = "/usr/bin/chromium"  # Debian's package, installed by .ci/run; playwright downloads nothing
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def isolated_environment(folder: Path, config: Path) -> dict[str, str]:
    """An instance, warehouse, exports folder and inbox of the test's own, and telemetry off."""
    home = folder / "dagster_home"
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return {**os.environ, "DAGSTER_HOME": str(home), "CURATION_CONFIG": str(config),
            "CURATION_WAREHOUSE": str(folder / "warehouse.duckdb"), "CURATION_OUTPUT_DIR": str(folder / "exports"),
            "CURATION_INBOX": str(folder / "inbox")}


@contextlib.contextmanager
def dagster_dev(folder: Path, env: dict[str, str]):
    """Yield the UI's URL once the webserver answers; the daemon (schedules, sensors) runs beside it."""
    port = _free_port()
    log_path = folder / "dagster_dev.log"
    log = open(log_path, "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "dagster", "dev", "-w", str(REPO_ROOT / "workspace.yaml"), "-h", "127.0.0.1",
         "-p", str(port)],
        cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{url}/server_info", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("dagster dev did not start:\n" + log_path.read_text()[-3000:])
            time.sleep(0.5)
        yield url
    finally:
        # SIGINT lets dagster dev stop its webserver and daemon; then clear what is left of the group.
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        log.close()


def skip_community_dialog(page, url: str) -> None:
    page.goto(f"{url}/asset-groups")
    page.get_by_role("button", name="Skip").click(timeout=60_000)  # the first-visit "Join the community" dialog
