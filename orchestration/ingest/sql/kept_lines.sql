-- The common case, no rejected line: the line at position p is line p + 1.
select positioned.arrival_date, positioned.source_file, positioned.position + 1 as line_number,
    positioned.line, null::varchar as read_error
from (
    select starts.arrival_date, lines.source_file,
        lines.rowid - starts.first_row as position, lines.line
    from {{ file_lines }} as lines
    inner join {{ file_starts }} as starts using (source_file)
) as positioned
where not is_blank(positioned.line)
