"""The Dagster UI as a person uses it: `dagster dev`, headless Chromium, "Materialize all", the backfill completes."""

import os
import time
from pathlib import Path

import pytest

from dagster_dev import CHROMIUM, CHROMIUM_ARGS, dagster_dev as start_dagster_dev, skip_community_dialog, isolated_environment
from support import DEMO_CONFIG, query

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.browser]

EXPECTED_ASSETS = {
    "raw_support_logs", "raw_faq_export", "raw_math_drills", "raw_tool_snippets", "raw_inbox", "combined",
    "deduplicated", "cleaned", "train", "eval", "exports", "statistics", "ladder", "data_card", "synthetic_batches",
    "verified_synthetic", "mixed", "decontaminated", "rejections", "duplicate_clusters", "mix_report",
}
DEMO_BATCHES = 6  # the demo's rule and transform batches; its LLM batches need an endpoint


@pytest.fixture
def dagster_dev(tmp_path):
    with start_dagster_dev(tmp_path, isolated_environment(tmp_path, DEMO_CONFIG)) as url:
        yield url, tmp_path


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
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 2000})  # the catalog renders visible rows only
            skip_community_dialog(page, url)

            page.goto(f"{url}/assets")  # the catalog: every asset of the code location, one link each
            listed: set[str] = set()
            deadline = time.monotonic() + 60
            while not EXPECTED_ASSETS <= listed and time.monotonic() < deadline:
                page.wait_for_timeout(500)
                listed = {text.split("\n")[0] for text in page.locator("a").all_inner_texts()}
            assert EXPECTED_ASSETS <= listed, sorted(EXPECTED_ASSETS - listed)

            # The side tables are nodes of the lineage graph, downstream of the stages that write them.
            for table, producer in (("rejections", "cleaned"), ("duplicate_clusters", "deduplicated")):
                page.goto(f"{url}/assets/{table}?view=lineage")
                expect(page.get_by_text(producer, exact=True).first).to_be_visible(timeout=60_000)
                expect(page.get_by_text(table, exact=True).first).to_be_visible(timeout=60_000)
                page.screenshot(path=str(screenshot_dir / f"dagster_ui_lineage_{table}.png"))

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
