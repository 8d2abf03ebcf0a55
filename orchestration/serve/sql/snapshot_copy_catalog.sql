-- A new snapshot file, given the warehouse's catalog without its data: every schema, table,
-- view and macro, among them the view macros that dbt's on-run-end made (their text and
-- their defaults exactly as dbt made them). What the views do not read is dropped next.
-- {snapshot}: the new file; {warehouse}: the warehouse's catalog name.
attach {snapshot} as serving_snapshot;
copy from database {warehouse} to serving_snapshot (schema);
