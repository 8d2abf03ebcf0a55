-- Number the lines of the channel's first classified table by row id (it holds one row per
-- line in the order read); drop its blank lines.
create or replace temp table streamed_file_starts as
select source_file, min(rowid) as first_row from {{ table }} group by source_file;

update {{ table }} set line_number = {{ table }}.rowid - starts.first_row + 1
from streamed_file_starts as starts where starts.source_file = {{ table }}.source_file;

delete from {{ table }} where {{ reason }} = 'blank line';

drop table streamed_file_starts;
