"""Progress bars: off unless ``curation run`` turns them on; on a pipe, plain lines, the last at the end."""

from __future__ import annotations

from curation_assets.engine.progress import PROGRESS_ENV, StepProgress, tracked


def test_bars_are_off_unless_turned_on(monkeypatch, capsys):
    monkeypatch.delenv(PROGRESS_ENV, raising=False)
    with StepProgress("cleaned", total=100) as progress:
        progress.advance(100)
    assert capsys.readouterr().err == ""


def test_on_a_pipe_a_bar_is_a_plain_line_with_done_total_and_rate(monkeypatch, capsys):
    monkeypatch.setenv(PROGRESS_ENV, "1")
    with StepProgress("cleaned", total=120_000) as progress:
        for _ in range(12):
            progress.advance(10_000)
    assert list(tracked(iter("abc"), "deduplicated: signing", 3, "shards")) == ["a", "b", "c"]
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2, lines  # each bar's last state once (the steps here are shorter than the interval)
    assert lines[0].startswith("  cleaned: 100%") and "120k/120k" in lines[0] and "records/s" in lines[0], lines
    assert lines[1].startswith("  deduplicated: signing: 100%") and "3/3" in lines[1] and "shards/s" in lines[1], lines
