"""The landing zone's filesystem: a local folder, or an ``s3://`` URI read through s3fs.

DuckDB reads ``s3://`` with its ``httpfs`` extension, which it downloads on first use;
extensions are built for one DuckDB version, and the package registry's extension
packages lag behind the DuckDB this project pins. So nothing here uses an extension:
an fsspec filesystem (s3fs, installed by ``make install``) is registered with the DuckDB
connection, which then lists and reads ``s3://`` paths through it, with every reader
(``glob``, ``read_csv``, ``read_blob``) as on a local folder. Every connection also refuses
to install or load an extension on its own (``warehouse.forbid_extension_downloads``), so a
URI that nothing here can read fails with one line instead of a download.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import duckdb
import fsspec

from . import settings
from .warehouse import forbid_extension_downloads


def protocol(landing: str) -> str | None:
    """``s3`` for ``s3://bucket/prefix``; None for a local folder."""
    return landing.split("://", 1)[0].lower() if "://" in landing else None


def _remote_filesystem(scheme: str) -> fsspec.AbstractFileSystem:
    """fsspec keeps one instance per set of options: the settings are read on every call."""
    try:
        if scheme in ("s3", "s3a"):
            import s3fs

            return s3fs.S3FileSystem(**settings.s3_options())
        return fsspec.filesystem(scheme)
    except (ImportError, ValueError) as error:
        raise settings.ConfigError(
            f"cannot read {scheme}:// landing zones here ({error}): use s3:// or a local folder"
        ) from None


def filesystem(landing: str) -> fsspec.AbstractFileSystem:
    """The fsspec filesystem of the landing zone (local, or s3 with the AWS_* settings)."""
    scheme = protocol(landing)
    return _remote_filesystem(scheme) if scheme else fsspec.filesystem("file")


def attach_landing(con: duckdb.DuckDBPyConnection, landing: str) -> duckdb.DuckDBPyConnection:
    """Let ``con`` list and read the landing zone: register its filesystem when remote."""
    forbid_extension_downloads(con)
    if protocol(landing):
        fs = filesystem(landing)
        names = fs.protocol if isinstance(fs.protocol, tuple | list) else (fs.protocol,)
        if not any(con.filesystem_is_registered(name) for name in names):
            con.register_filesystem(fs)
    return con


def landing_connection(landing: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection that reads the landing zone (listing, sizes, times)."""
    return attach_landing(duckdb.connect(), landing)


def modified_times(landing: str, patterns: Iterable[str]) -> dict[str, float]:
    """Every file matching the glob patterns, with when it was last modified (Unix time)."""
    fs = filesystem(landing)
    return {
        path: _modified(info)
        for pattern in patterns
        for path, info in fs.glob(pattern, detail=True).items()
        if info.get("type") != "directory"
    }


def _modified(info: dict) -> float:
    """A listing entry's modification time: ``mtime`` (local) or ``LastModified`` (S3)."""
    moment = info.get("mtime", info.get("LastModified"))
    return moment.timestamp() if isinstance(moment, datetime) else float(moment or 0)


def exists(path: str) -> bool:
    """True when a landing zone file exists (local or remote)."""
    return filesystem(path).exists(path)


def open_text(path: str):
    """Open a landing zone file (local or remote) as UTF-8 text, for the csv module."""
    return filesystem(path).open(path, "r", encoding="utf-8", newline="")
