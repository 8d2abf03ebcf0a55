-- raw.assistants becomes the assistants file: the list in force (clients come and go).
delete from raw.assistants;
insert into raw.assistants from incoming_assistants;
