-- What the snapshot's views read of marts.customers, without the users: each user's first
-- and last session dates on an assistant and channel (the Customers view's new users, the
-- dates an assistant's data covers). In the warehouse's order, as the other copies.
create table serving_snapshot.marts.customers as
select
    assistant_id,
    channel,
    first_session_date,
    last_session_date
from marts.customers;
