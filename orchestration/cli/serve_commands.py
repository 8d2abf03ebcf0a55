"""``chatwh serve`` and the API keys it checks (``chatwh keys``)."""

from __future__ import annotations

import argparse
import json

from .common import UsageError, say


def cmd_serve(args: argparse.Namespace) -> int:
    from .. import settings
    from ..serve.app import ServeConfig
    from ..serve.server import publish_if_missing, serve

    warehouse = settings.warehouse_path(args.warehouse)
    serving = settings.serving_dir(warehouse)
    if not warehouse.exists() and not serving.exists():
        raise FileNotFoundError(f"no warehouse at {warehouse}: run `chatwh run` first")
    # stdout says what is served and where; stderr carries the JSON log lines only
    publish_if_missing(warehouse, serving, lambda line: print(line, flush=True))
    config = ServeConfig(
        serving=serving,
        keys=settings.keys_path(warehouse),
        cors_origins=tuple(settings.cors_origins(args.cors_origin)),
    )
    print(f"serving the views of {warehouse} (snapshots {serving}, keys {config.keys})")
    host = args.host or settings.DEFAULT_SERVE_HOST
    port = settings.DEFAULT_SERVE_PORT if args.port is None else args.port
    return serve(config, host, port, lambda line: print(line, flush=True))


def _key_store(args: argparse.Namespace):
    from .. import settings
    from ..serve.keys import KeyStore

    return KeyStore(settings.keys_path(settings.warehouse_path(args.warehouse)))


def _known_assistants(args: argparse.Namespace) -> list[str] | None:
    """The assistants of the warehouse's serving snapshot; None before the first build."""
    from .. import settings, views
    from ..serve.snapshot import NoSnapshot, SnapshotReader

    reader = SnapshotReader(settings.serving_dir(settings.warehouse_path(args.warehouse)))
    try:
        with reader.cursor() as con:
            return views.assistant_ids(con)
    except NoSnapshot:
        return None


def cmd_keys(args: argparse.Namespace) -> int:
    store = _key_store(args)
    if args.keys_command == "create":
        known = _known_assistants(args)
        for assistant in args.assistant:
            if known is not None and assistant.strip() not in known:
                raise UsageError(f"unknown assistant {assistant!r}: known are {', '.join(known)}")
        key, secret = store.create(args.assistant)
        print(f"created key {key.key_id} for {', '.join(key.assistants)}")
        print("the key is shown once, now: store it as the client's secret")
        print(secret)
    elif args.keys_command == "list":
        keys = store.all()
        if args.json:
            print(json.dumps([key.as_json() for key in keys]))
        for key in [] if args.json else keys:
            state = f"revoked {key.revoked_at}" if key.revoked_at else "active"
            print(f"{key.key_id}  {key.created_at}  {state:<28}  {', '.join(key.assistants)}")
        if not keys and not args.json:
            say("no keys yet: chatwh keys create --assistant ID")
    else:
        key, was_active = store.revoke(args.key_id)
        print(f"revoked key {key.key_id}" if was_active else f"{key.key_id} was revoked before")
    return 0
