-- The careful read's lines of one channel, numbered (read_error: why a line or file failed).
create temp table {{ numbered_lines }} (
    arrival_date date, source_file varchar, line_number bigint,
    line varchar, read_error varchar
)
