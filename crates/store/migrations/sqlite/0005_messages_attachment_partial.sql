-- Most messages have no attachment. Indexing only those that do keeps every other message
-- out of this index, so an append writes one index page fewer (lookups always name an id).
DROP INDEX messages_attachment;
CREATE INDEX messages_attachment ON messages (attachment_id) WHERE attachment_id IS NOT NULL;
