-- The files of one arrival day: their lines in arrival order, and how many (bad) lines.
select
    channel,
    file,
    count(*) filter (ends_line) as line_count,
    count(*) filter (ends_line and defect <> 0) as bad_line_count,
    string_agg(line, '' order by arrival, seq, part) as file_text
from pending
where dt = $day
group by channel, file
order by channel, file
