"""An S3-compatible server on 127.0.0.1 (moto's, in a process of its own), and its client.

Shared by the S3 landing-zone tests and ``benchmarks/s3_read.py``. A process of its own,
not a thread: a server in the reader's process would compete with it for the GIL.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "test-access-key",
    "AWS_SECRET_ACCESS_KEY": "test-secret-key",
    "AWS_DEFAULT_REGION": "us-east-1",
}
MOTO_SERVER = str(Path(sys.executable).with_name("moto_server"))


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def moto_server(bucket: str) -> Iterator[str]:
    """The endpoint URL of a fresh server holding one empty bucket; stopped on exit."""
    port = free_port()
    server = subprocess.Popen(
        [MOTO_SERVER, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto_server did not start on port {port}") from None
                time.sleep(0.1)
        endpoint = f"http://127.0.0.1:{port}"
        client(endpoint).create_bucket(Bucket=bucket)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=30)


def client(endpoint: str):
    """A boto3 S3 client of the server, with the test credentials."""
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
    )


def upload(landing: Path, endpoint: str, bucket: str, prefix: str) -> list[str]:
    """Every file of a local landing zone under s3://bucket/prefix/, same relative paths."""
    s3 = client(endpoint)
    keys = []
    for path in sorted(landing.rglob("*")):
        if path.is_file():
            keys.append(f"{prefix}/{path.relative_to(landing).as_posix()}")
            s3.upload_file(str(path), bucket, keys[-1])
    return keys
