-- Each file's first row id (and its arrival day): file_lines keeps the insertion order, so
-- a file's rows are consecutive row ids in line order, and a kept line sits at its row id
-- minus its file's first (0-based, rejected lines left out). A join on this small table
-- streams, where a window over file_lines held every line in memory once more.
create or replace temp table {{ file_starts }} as
select lines.source_file, any_value(files.arrival_date) as arrival_date,
    min(lines.rowid) as first_row
from {{ file_lines }} as lines
inner join batch_files as files using (source_file)
group by lines.source_file
