-- Macros of the rendering SQL (web.sql, whatsapp.sql), made once on the writer's connection.
-- The JSON is built as text with concat() (one allocation per line): every value that can
-- hold a quote or a non-ASCII character goes through to_json().

-- Element `i` (0-based, wrapping around) of the list `items`.
create macro pick(items, i) as list_extract(items, (i % len(items))::bigint + 1);

-- A text of `texts` with its number in place of {n}.
create macro say(texts, i, code) as replace(pick(texts, i), '{n}', code::varchar);

-- ISO-8601 text of epoch milliseconds, without an offset: with and without milliseconds.
create macro iso_millis(ms) as strftime(epoch_ms(ms), '%Y-%m-%dT%H:%M:%S.%g');
create macro iso_seconds(ms) as strftime(epoch_ms(ms), '%Y-%m-%dT%H:%M:%S');

-- Ids that look real, derived from the seed, the kind of id and a row's integer id.
create macro seeded_md5(seed, kind, n) as md5(concat(seed, kind, ':', n));
create macro seeded_uuid(seed, kind, n) as md5_number(concat(seed, kind, ':', n))::uuid::varchar;
create macro wamid(seed, kind, n) as concat(
    'wamid.HBgL', to_base64(unhex(seeded_md5(seed, kind, n)))
);

-- The sha256 and id fields of a WhatsApp media message (image, audio, sticker).
create macro media_fields(seed, n) as concat(
    '","sha256":"', to_base64(unhex(sha256(concat(seed, 'h:', n)))),
    '","id":"', (md5_number_upper(concat(seed, 'f:', n)) % 10000000000000000)::varchar, '"'
);

-- The context of a WhatsApp reply to one of the bot's messages (buttons, lists).
create macro reply_context(seed, n, display_phone) as concat(
    '"context":{"from":"', display_phone, '","id":"', wamid(seed, 'c', n), '"},'
);

-- A rendered line spoilt by its defect (see simulator/faults.py); `garbage` replaces a line
-- that is not JSON.
create macro spoilt(rendered, defect_name, garbage) as case defect_name
    when 'not json' then garbage
    when 'truncated' then left(rendered, greatest(8, length(rendered) // 2))
    when 'array' then concat('[', rendered, ']')
    else rendered
end;
