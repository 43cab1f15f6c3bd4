ALTER TABLE inboxes ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
ALTER TABLE inboxes ADD COLUMN identity_secret TEXT;

ALTER TABLE contacts ADD COLUMN external_id TEXT;
ALTER TABLE contacts ADD COLUMN verified BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE contacts ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';
CREATE UNIQUE INDEX contacts_external_id ON contacts (workspace_id, external_id);

ALTER TABLE conversations ADD COLUMN agent_delivered BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN agent_read BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN contact_delivered BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN contact_read BIGINT NOT NULL DEFAULT 0;

ALTER TABLE messages ADD COLUMN attachment TEXT;
ALTER TABLE messages ADD COLUMN attachment_id UUID;
CREATE INDEX messages_attachment ON messages (attachment_id);

CREATE TABLE attachments (
    id UUID PRIMARY KEY NOT NULL,
    workspace_id UUID NOT NULL REFERENCES workspaces (id),
    conversation_id UUID NOT NULL REFERENCES conversations (id),
    uploader_kind TEXT NOT NULL,
    uploader_id UUID NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    data BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX attachments_conversation ON attachments (conversation_id);

CREATE TABLE page_views (
    id BIGSERIAL PRIMARY KEY,
    contact_id UUID NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    viewed_at BIGINT NOT NULL,
    url TEXT NOT NULL,
    title TEXT,
    referrer TEXT
);
CREATE INDEX page_views_contact ON page_views (contact_id, viewed_at DESC);
