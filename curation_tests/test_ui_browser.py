"""The Dagster UI as a person uses it: `dagster dev`, headless Chromium, "Materialize all", the backfill completes."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from support import DEMO_CONFIG, REPO_ROOT, query

CHROMIUM = "/usr/bin/chromium"  # Debian's package, installed by .ci/run; playwright downloads nothing
EXPECTED_ASSETS = {
    "raw_support_logs", "raw_faq_export", "raw_math_drills", "raw_tool_snippets", "combined", "deduplicated",
    "cleaned", "train", "eval", "exports", "statistics", "ladder", "data_card", "synthetic_batches",
    "verified_synthetic", "mixed", "decontaminated",
}
DEMO_BATCHES = 6  # the demo's rule and transform batches; its LLM batches need an endpoint


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def dagster_dev(tmp_path):
    port = _free_port()
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {**os.environ, "DAGSTER_HOME": str(home), "CURATION_CONFIG": str(DEMO_CONFIG),
           "CURATION_WAREHOUSE": str(tmp_path / "warehouse.duckdb"), "CURATION_OUTPUT_DIR": str(tmp_path / "exports")}
    log = open(tmp_path / "dagster_dev.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "dagster", "dev", "-w", str(REPO_ROOT / "workspace.yaml"), "-h", "127.0.0.1",
         "-p", str(port)],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
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
                raise AssertionError("dagster dev did not start:\n" + (tmp_path / "dagster_dev.log").read_text()[-3000:])
            time.sleep(0.5)
        yield url, tmp_path
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


def _wait_for_backfill(dagster_home: Path, backfill_id: str, timeout: float) -> str:
    """The backfill's final status, read from the instance the UI launched it into."""
    import dagster as dg

    deadline = time.monotonic() + timeout
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        while time.monotonic() < deadline:
            status = instance.get_backfill(backfill_id).status.value
            if status not in ("REQUESTED", "CANCELING", "FAILING"):
                return status
            time.sleep(3)
    return "TIMED_OUT"


def test_materialize_all_from_the_ui_succeeds(dagster_dev):
    from playwright.sync_api import expect, sync_playwright

    url, folder = dagster_dev
    started = time.monotonic()
    screenshot_dir = Path(os.environ.get("CURATION_SCREENSHOT_DIR") or folder)
    screenshot_dir.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{url}/asset-groups")
            page.get_by_role("button", name="Skip").click(timeout=60_000)  # the first-visit community dialog

            page.goto(f"{url}/assets")  # the catalog: every asset of the code location, one link each
            listed: set[str] = set()
            deadline = time.monotonic() + 60
            while not EXPECTED_ASSETS <= listed and time.monotonic() < deadline:
                page.wait_for_timeout(500)
                listed = {text.split("\n")[0] for text in page.locator("a").all_inner_texts()}
            assert EXPECTED_ASSETS <= listed, sorted(EXPECTED_ASSETS - listed)

            page.goto(f"{url}/asset-groups")
            expect(page.get_by_text("sources", exact=True).first).to_be_visible(timeout=60_000)  # graph loaded
            page.screenshot(path=str(screenshot_dir / "dagster_ui_lineage.png"))

            # The synthetic batches are dynamic partitions, registered by a sensor the daemon ticks.
            deadline = time.monotonic() + 240
            while True:
                page.get_by_role("button", name="Materialize all").click(timeout=60_000)
                page.get_by_role("button", name="All", exact=True).click(timeout=60_000)
                if page.get_by_text(f"{DEMO_BATCHES} partitions", exact=True).count():
                    break
                assert time.monotonic() < deadline, "the batch partitions never appeared"
                page.get_by_role("button", name="Cancel").click()
                page.wait_for_timeout(5_000)
                page.reload()
            page.get_by_role("button", name="Launch backfill").click()
            toast = page.get_by_text("Created backfill").first.inner_text(timeout=60_000)
            backfill_id = toast.split("Created backfill", 1)[1].split()[0]
            page.goto(f"{url}/runs/b/{backfill_id}")

            status = _wait_for_backfill(folder / "dagster_home", backfill_id, timeout=600)
            page.reload()
            page.wait_for_timeout(3_000)
            page.screenshot(path=str(screenshot_dir / "dagster_ui_backfill.png"), full_page=True)
        finally:
            browser.close()
    print(f"browser test: {time.monotonic() - started:.1f} s from first page to run {status}")
    assert status in ("COMPLETED", "COMPLETED_SUCCESS"), status + "\n" + (folder / "dagster_dev.log").read_text()[-3000:]
    assert query(folder / "warehouse.duckdb", "SELECT count(*) FROM main.train")[0][0] > 100
    assert (folder / "exports" / "data_card.html").is_file()
