-- With rejected lines (0.6 s more per million lines, so only then): the kept line at
-- position p is line p + 1 + the number of rejected lines before it. Rejected lines come
-- back with a reason.
insert into {{ numbered_lines }}
with positioned as (
    select starts.arrival_date, lines.source_file,
        lines.rowid - starts.first_row as position, lines.line
    from {{ file_lines }} as lines
    inner join {{ file_starts }} as starts using (source_file)
),
rejects as (
    select distinct scans.file_path as source_file, rejects.line as rejected_line,
        rejects.error_type
    from file_rejects as rejects
    inner join file_reject_scans as scans using (scan_id, file_id)
),
ranked as (
    select source_file, rejected_line,
        row_number() over (partition by source_file order by rejected_line) as rejected_so_far
    from rejects
),
steps as (
    -- after kept_before kept lines, rejected_before lines have been rejected
    select source_file, rejected_line - rejected_so_far as kept_before,
        max(rejected_so_far) as rejected_before
    from ranked group by all
)
select positioned.arrival_date, positioned.source_file,
    positioned.position + 1 + coalesce(steps.rejected_before, 0), positioned.line, null
from positioned
asof left join steps
    on positioned.source_file = steps.source_file and steps.kept_before <= positioned.position
where not is_blank(positioned.line)
union all
select files.arrival_date, rejects.source_file, rejected_line, null,
    case when error_type = 'INVALID ENCODING' then 'line is not valid UTF-8'
        else 'line cannot be read: ' || lower(error_type) end
from rejects
inner join batch_files as files using (source_file)
qualify row_number() over (partition by rejects.source_file, rejected_line) = 1
