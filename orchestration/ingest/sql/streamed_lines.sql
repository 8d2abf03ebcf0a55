-- The streamed read: every line of the channel's files as the first classification
-- statement reads them, not yet numbered; a blank line comes with the reason 'blank line'.
create or replace temp view lines_{{ channel }} as
select files.arrival_date, lines.filename as source_file, null::bigint as line_number,
    lines.line, case when lines.line is null or is_blank(lines.line) then 'blank line' end
        as read_error
from {{ read_csv }} as lines
inner join batch_files as files on files.source_file = lines.filename
