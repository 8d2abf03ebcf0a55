read_csv(
    -- Every line of the files (a list of paths), with its file; a line that is not UTF-8
    -- or too long lands in the rejects tables instead. Insertion order is preserved, so
    -- within one file the rowid order is the line order. The column delimiter cuts a line:
    -- these four control characters in a row never occur in JSON lines (JSON forbids raw
    -- control characters), and a line holding fewer of them is read whole (and
    -- quarantined: it is no JSON); with the single character 0x1F, a line holding just
    -- that character read as blank and was dropped. Buffers of twice the longest line:
    -- with the reader's default buffer for 32 MB lines, the year of 10M messages took
    -- 15.7 to 20.0 s to read, with these 13.1 to 13.9 s (docs/benchmarks.md).
    {{ files }}, columns = {'line': 'VARCHAR'},
    delim = chr(31) || chr(30) || chr(29) || chr(28), quote = '', escape = '',
    header = false, auto_detect = false, strict_mode = false,
    max_line_size = {{ max_line_bytes }}, buffer_size = {{ buffer_bytes }}, filename = true,
    store_rejects = true, rejects_table = 'file_rejects', rejects_scan = 'file_reject_scans'
)
