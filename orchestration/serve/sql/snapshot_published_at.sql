-- When the snapshot being read was made, as ISO 8601 UTC.
select strftime(published_at, '%Y-%m-%dT%H:%M:%S.%gZ') as published_at
from main.snapshot_info;
