-- The lines the channel's first classification statement reads: its lines (streamed or
-- read first), and whether each is JSON at all (both channels start the same way).
create or replace temp view lines as
select *, line is not null and json_valid(line) as is_json
from lines_{{ channel }}
