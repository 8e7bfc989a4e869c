"""The one file fingerprint (core/files.py): SHA-256 of the bytes, the same however the file is chunked."""

from __future__ import annotations

import hashlib

from curation_assets.core import files
from curation_assets.core.files import file_sha256


def test_the_fingerprint_is_the_sha256_of_the_file_bytes(tmp_path):
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert file_sha256(empty) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    abc = tmp_path / "abc.txt"
    abc.write_bytes(b"abc")
    assert file_sha256(abc) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_a_file_larger_than_one_chunk_hashes_as_a_whole(tmp_path):
    data = bytes(range(256)) * (files._CHUNK_BYTES // 256 * 2 + 3)  # two chunks and a piece
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()
