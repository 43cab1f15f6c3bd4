-- The duplicate key leads with the client's message id. Clients that make their ids in time
-- order (UUIDv7, as the widget, the console and the load generator do) then append to the
-- index's last page, which the other appends of a commit share, instead of dirtying a page
-- of their conversation's own: one WAL page fewer per message. Random ids cost what the old
-- order cost. The key, and so what counts as a duplicate, is unchanged.
DROP INDEX messages_dedupe;
CREATE UNIQUE INDEX messages_dedupe ON messages (client_msg_id, conversation_id, author_kind, COALESCE(author_id, '00000000-0000-0000-0000-000000000000'::uuid));
