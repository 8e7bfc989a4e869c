"""One Great Expectations suite per kind of table the pipeline publishes."""

from __future__ import annotations

from curation_assets.checks.gx_factory import GxSuite
from curation_assets.config import PipelineConfig
from curation_assets.core.records import KINDS, RECORD_COLUMNS, TEXT_FIELDS


def record_suite(name: str, config: PipelineConfig, require_text: bool) -> GxSuite:
    """Schema, identity, provenance and length bounds every record table must meet.

    ``require_text``: after cleaning, instruction and response must meet the configured minimums.
    """
    max_chars = config.checks.max_text_chars
    expectations: list[tuple[str, dict]] = [
        ("ExpectTableColumnsToMatchOrderedList", {"column_list": list(RECORD_COLUMNS)}),
        ("ExpectColumnValuesToNotBeNull", {"column": "record_id"}),
        ("ExpectColumnValuesToBeUnique", {"column": "record_id"}),
        ("ExpectColumnValuesToMatchRegex", {"column": "record_id", "regex": r"^[0-9a-f]{20}$"}),
        ("ExpectColumnValuesToMatchRegex", {"column": "source", "regex": config.catalog().record_source_pattern()}),
        ("ExpectColumnValuesToNotBeNull", {"column": "source"}),
        ("ExpectColumnValuesToNotBeNull", {"column": "source_position"}),
        ("ExpectColumnValuesToBeBetween", {"column": "source_position", "min_value": 0}),
        ("ExpectColumnValuesToBeInSet", {"column": "kind", "value_set": list(KINDS)}),
        ("ExpectColumnValuesToNotBeNull", {"column": "kind"}),
        ("ExpectColumnValuesToNotBeNull", {"column": "lineage"}),
    ]
    for field in TEXT_FIELDS:
        expectations.append(("ExpectColumnValuesToNotBeNull", {"column": field}))
        minimum = 0
        if require_text and field == "instruction":
            minimum = config.clean.min_instruction_chars
        elif require_text and field == "response":
            minimum = config.clean.min_response_chars
        expectations.append(
            ("ExpectColumnValueLengthsToBeBetween", {"column": field, "min_value": minimum, "max_value": max_chars})
        )
    expectations += [
        ("ExpectColumnValuesToNotBeNull", {"column": "rejected_response"}),
        ("ExpectColumnValueLengthsToBeBetween", {"column": "rejected_response", "min_value": 0, "max_value": max_chars}),
        ("ExpectColumnValuesToNotBeNull", {"column": "earlier_turns"}),
        # A JSON list of turn objects; turns' texts are bounded like the other texts' (per turn, at load).
        ("ExpectColumnValuesToMatchRegex", {"column": "earlier_turns", "regex": r"^\[(?:\{.*\})?\]$"}),
    ]
    return GxSuite.of(name, expectations)
