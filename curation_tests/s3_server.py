"""A local S3 server (moto in server mode on 127.0.0.1) that the real pyarrow and DuckDB clients
talk to over HTTP, for tests of the record store on an object store."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

# moto accepts any credentials; the clients need some, and no lookup of an instance's metadata.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "curation-test", "AWS_SECRET_ACCESS_KEY": "curation-test",
               "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}


@dataclass(frozen=True)
class S3Server:
    endpoint: str  # host:port

    def new_bucket_uri(self, prefix: str = "shards") -> str:
        """A fresh bucket's ``s3://`` URI (with the endpoint, plain HTTP) for a record store."""
        import pyarrow.fs as pafs

        bucket = f"curation-{uuid.uuid4().hex[:12]}"
        uri = f"s3://{bucket}/{prefix}?endpoint_override={self.endpoint}&scheme=http"
        filesystem, _ = pafs.FileSystem.from_uri(uri + "&allow_bucket_creation=true")
        filesystem.create_dir(bucket)
        return uri


@contextmanager
def running_s3_server() -> Iterator[S3Server]:
    """The server, with the credentials in this process's environment (processes started from it,
    a worker pool or a Ray node, inherit them)."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    saved = {name: os.environ.get(name) for name in CREDENTIALS}
    os.environ.update(CREDENTIALS)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield S3Server(f"{host}:{port}")
    finally:
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
