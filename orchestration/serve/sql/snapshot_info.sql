-- When the snapshot was made (bound: UTC), for /healthz and the page's footer.
create table serving_snapshot.main.snapshot_info as
select cast($published_at as timestamp) as published_at;
