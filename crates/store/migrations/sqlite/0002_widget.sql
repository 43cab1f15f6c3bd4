ALTER TABLE inboxes ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
ALTER TABLE inboxes ADD COLUMN identity_secret TEXT;

ALTER TABLE contacts ADD COLUMN external_id TEXT;
ALTER TABLE contacts ADD COLUMN verified BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE contacts ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';
CREATE UNIQUE INDEX contacts_external_id ON contacts (workspace_id, external_id);

ALTER TABLE conversations ADD COLUMN agent_delivered INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN agent_read INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN contact_delivered INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN contact_read INTEGER NOT NULL DEFAULT 0;

ALTER TABLE messages ADD COLUMN attachment TEXT;
ALTER TABLE messages ADD COLUMN attachment_id BLOB;
CREATE INDEX messages_attachment ON messages (attachment_id);

CREATE TABLE attachments (
    id BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id),
    conversation_id BLOB NOT NULL REFERENCES conversations (id),
    uploader_kind TEXT NOT NULL,
    uploader_id BLOB NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX attachments_conversation ON attachments (conversation_id);

CREATE TABLE page_views (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contact_id BLOB NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    viewed_at INTEGER NOT NULL,
    url TEXT NOT NULL,
    title TEXT,
    referrer TEXT
);
CREATE INDEX page_views_contact ON page_views (contact_id, viewed_at DESC);
