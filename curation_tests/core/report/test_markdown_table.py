"""The one Markdown-table builder (core/report/markdown.py), used by every metadata table and dedup view."""

from __future__ import annotations

import math

from curation_assets.core.report.markdown import markdown_table


def test_a_table_has_a_header_a_rule_and_one_line_per_row():
    assert markdown_table(["name", "records"], [["alpha", 3], ["beta", 0]]) == (
        "| name | records |\n"
        "|---|---|\n"
        "| alpha | 3 |\n"
        "| beta | 0 |")
    assert markdown_table(["empty"], []) == "| empty |\n|---|"


def test_pipes_are_escaped_line_breaks_marked_and_missing_values_empty():
    table = markdown_table(["text", "score"], [["a | b\nc\r\nd", None], ["x", math.nan]])
    assert table.splitlines()[2:] == ["| a \\| b ⏎ c ⏎ d |  |", "| x |  |"]


def test_long_cells_are_clipped_with_an_ellipsis():
    table = markdown_table(["text", "n"], [["abcdefghij", 1234567]], max_cell_chars=5)
    assert table.splitlines()[2] == "| abcd… | 1234… |"  # five characters, the ellipsis included
    assert markdown_table(["text"], [["abcde"]], max_cell_chars=5).splitlines()[2] == "| abcde |"
