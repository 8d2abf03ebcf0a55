"""``chatwh serve``: the three views over HTTP for the platform's web app.

- ``snapshot``: the serving snapshot each successful run publishes, and its reader;
- ``keys``: the API keys of the clients, each scoped to assistants, stored hashed;
- ``app``: the FastAPI application (JSON API, API docs, the interactive page in
  ``static/``), with ``schemas`` (the answers, for the docs) and ``accesslog``;
- ``server``: uvicorn, bound to 127.0.0.1 unless told otherwise, JSON logs, SIGTERM;
- ``sql``: the SQL of all of them, in ``sql/*.sql``.
"""
