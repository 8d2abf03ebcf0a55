-- One serving mart's rows, in the warehouse's order (DuckDB keeps the insertion order, so
-- the row groups keep the min/max that let the view macros skip most of them).
insert into serving_snapshot.marts.{table}
select * from marts.{table};
