-- Every change of the good bodies, cut to the parts its checks read. A change's JSON text
-- (json_extract of line_to_recheck) is read only for the rare bodies that may hide a
-- wrong part (see whatsapp_bodies.sql).
create or replace temp table whatsapp_changes as
with changes as (
    select arrival_date, source_file, line_number, line_to_recheck,
        unnest(changes) as c, generate_subscripts(changes, 1) as change_index
    from whatsapp_bodies
    where line_reason is null
)
select
    arrival_date, source_file, line_number, change_index,
    c.field as change_field,
    case when starts_with(c.value.metadata.phone_number_id, '"')
        then c.value.metadata.phone_number_id ->> '$' end as phone_number_id,
    case
        when change_field is distinct from 'messages' then null
        when case when has_empty_value(c)
            then json_type(
                json_extract(line_to_recheck, '$.entry[*].changes[*]')[change_index], '$.value'
            ) is distinct from 'OBJECT' end
            then 'value of a messages change is not an object'
        when case when c.value.messages is null
            then coalesce(json_type(
                json_extract(line_to_recheck, '$.entry[*].changes[*]')[change_index],
                '$.value.messages'
            ) = 'NULL', false)
            else not starts_with(c.value.messages, '[') end
            then 'messages is not a list'
    end as change_reason,
    case when starts_with(c.value.messages, '[') then json_extract(c.value.messages, '$[*]')
        else [] end as messages,
    coalesce(len(c.value.statuses), 0) + coalesce(len(c.value.message_echoes), 0)
        as other_items
from changes
