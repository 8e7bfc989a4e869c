"""Mixing real and synthetic records: every real record kept, synthetic capped per fraction and domain target."""

from __future__ import annotations

import pytest

from curation_assets.core.mix.settings import MixConfig
from curation_assets.core.mix.mix import mix_records


def _mix_frame(make_records, real: dict[str, int], synthetic: dict[str, int]):
    rows, index = [], 0
    for kind, counts in (("real", real), ("synthetic", synthetic)):
        for source, count in counts.items():
            for position in range(count):
                rows.append({"index": index, "source": source, "source_position": position, "kind": kind})
                index += 1
    return make_records(*rows)


DOMAINS = {"docs": "general", "gen_general": "general", "gen_math": "math", "gen_code": "code"}


RANKS = list(DOMAINS)


def test_mixing_keeps_every_real_record_and_caps_the_synthetic_fraction(make_records):
    records = _mix_frame(make_records, {"docs": 60}, {"gen_general": 100})
    result, report = mix_records(records, MixConfig(max_synthetic_fraction=0.25), DOMAINS.get, RANKS.index)
    assert (result.kept["kind"] == "real").sum() == 60
    assert (result.kept["kind"] == "synthetic").sum() == 20  # 20 / 80 = 0.25
    assert set(result.rejected["reason"]) == {"synthetic_cap"} and len(result.rejected) == 80
    assert len(result.kept) + len(result.rejected) == len(records)


def test_mixing_fills_domains_toward_their_targets_and_reports_achieved_against_target(make_records):
    records = _mix_frame(make_records, {"docs": 50}, {"gen_math": 100, "gen_code": 10})
    targets = {"general": 0.5, "math": 0.3, "code": 0.2}
    result, report = mix_records(records, MixConfig(max_synthetic_fraction=0.5, domain_targets=targets),
                                 DOMAINS.get, RANKS.index)
    achieved = report.set_index("domain")
    assert achieved.loc["general", "records"] == 50 and achieved.loc["code", "synthetic_admitted"] == 10
    assert achieved.loc["math", "achieved_share"] <= 0.3 + 1e-9
    # Math may hold 30% of the final mix: m <= 0.3 * (50 + 10 + m), so m = 25.
    assert achieved.loc["math", "synthetic_admitted"] == 25
    assert set(result.rejected["reason"]) == {"domain_cap"}
    assert list(report.columns)[:3] == ["domain", "target_share", "achieved_share"]


def test_mix_config_rejects_targets_that_do_not_add_up():
    with pytest.raises(ValueError, match="add up to 1"):
        MixConfig(domain_targets={"general": 0.5, "math": 0.2})
