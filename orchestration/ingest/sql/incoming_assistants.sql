-- The assistants file's rows land here first (an empty copy of raw.assistants).
create or replace temp table incoming_assistants as from raw.assistants limit 0
