-- Rendered lines waiting until their arrival day is complete (simulator/writer.py).
create table pending (
    channel tinyint,  -- 0 web, 1 whatsapp
    dt bigint,  -- arrival day, counted from the first day of the period
    file tinyint,  -- index into FILE_NAMES (simulator/faults.py)
    arrival bigint,  -- epoch ms
    seq bigint,  -- order of lines that arrive in the same millisecond
    part bigint,  -- order of a WhatsApp body's fragments
    defect tinyint,  -- 0: a good line
    ends_line boolean,  -- the last fragment of a line
    line varchar
)
