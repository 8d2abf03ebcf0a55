-- The server's connection to a snapshot: one DuckDB thread per query. The server answers
-- many small queries at once, each from a thread of its own; letting each of them also
-- fan out to every core made them compete for the cores (docs/benchmarks.md "chatwh
-- serve", 2026-12-04 23:00 UTC).
set threads = 1;
