"""Inbox file names: only regular files placed in the folder itself load; quarantine tables stay
distinct for names that differ only in case."""

from __future__ import annotations

import pytest

from curation_assets.defs.inbox import _quarantine_name, contained_file, inbox_candidates


def test_a_file_in_the_folder_is_contained_and_names_that_leave_it_are_refused(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "feedback.jsonl").write_text("{}\n")
    (tmp_path / "secret.jsonl").write_text("{}\n")
    (inbox / "link.jsonl").symlink_to(tmp_path / "secret.jsonl")
    assert contained_file(inbox, "feedback.jsonl") == inbox / "feedback.jsonl"
    assert contained_file(inbox, "not-yet.jsonl") == inbox / "not-yet.jsonl"  # removed files keep their rows
    for name in ("../secret.jsonl", "..", "sub/x.jsonl", "", "a\0b.jsonl"):
        with pytest.raises(ValueError, match="not a file name inside the inbox"):
            contained_file(inbox, name)
    with pytest.raises(ValueError, match="symbolic link"):
        contained_file(inbox, "link.jsonl")


def test_the_sensor_refuses_symbolic_links_with_the_reason(tmp_path):
    (tmp_path / "real.jsonl").write_text("{}\n")
    (tmp_path / "passwd.jsonl").symlink_to("/etc/passwd")
    ready, refused = inbox_candidates(tmp_path, settle_seconds=0, now=2e9)
    assert set(ready) == {"real.jsonl"}
    assert refused == {"passwd.jsonl": "a symbolic link: the inbox loads only regular files placed in it"}


def test_names_differing_only_in_case_get_distinct_quarantine_tables():
    assert _quarantine_name("feedback.jsonl") == "raw_inbox_feedback_jsonl"  # plain names keep their table
    assert _quarantine_name("A.jsonl") != _quarantine_name("a.jsonl")
    assert _quarantine_name("Data Set.csv") != _quarantine_name("data_set.csv")
