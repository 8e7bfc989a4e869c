"""The data card as a person sees it: rendered by headless Chromium, with its plots loaded."""

import os
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"  # Debian's package; installed by .ci/run, never downloaded by playwright


@pytest.fixture
def data_card(demo_run) -> Path:
    _, folder = demo_run
    return folder / "exports" / "data_card.html"


def test_data_card_renders_in_chromium_with_every_plot(data_card, tmp_path):
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).is_file(), "install Debian's chromium: apt-get install -y chromium"
    screenshot = Path(os.environ.get("CURATION_SCREENSHOT_DIR") or tmp_path) / "data_card.png"
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(data_card.as_uri())
            assert page.title() == "Data card: curation dataset"
            headings = page.locator("h2").all_inner_texts()
            assert headings[:5] == ["Sources and licenses", "Real and synthetic mix", "Drop funnel", "Plots",
                                    "Topic coverage"]
            # Every plot decoded into a real picture, not a broken-image icon.
            widths = page.eval_on_selector_all("img", "images => images.map(i => i.complete ? i.naturalWidth : 0)")
            assert len(widths) == 7 and all(width >= 500 for width in widths)  # six plots and the topic map
            page.get_by_text("dedup: exact_duplicate — examples").click()
            assert page.locator("details[open] pre").count() >= 1
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    assert screenshot.stat().st_size > 50_000
