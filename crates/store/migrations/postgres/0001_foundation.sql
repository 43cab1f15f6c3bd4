CREATE TABLE workspaces (
    id UUID PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE agents (
    id UUID PRIMARY KEY NOT NULL,
    workspace_id UUID NOT NULL REFERENCES workspaces (id),
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent')),
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX agents_workspace ON agents (workspace_id);

CREATE TABLE sessions (
    token_hash BYTEA PRIMARY KEY NOT NULL,
    agent_id UUID NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_agent ON sessions (agent_id);

CREATE TABLE inboxes (
    id UUID PRIMARY KEY NOT NULL,
    workspace_id UUID NOT NULL REFERENCES workspaces (id),
    name TEXT NOT NULL,
    allowed_origins TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX inboxes_workspace ON inboxes (workspace_id);

CREATE TABLE contacts (
    id UUID PRIMARY KEY NOT NULL,
    workspace_id UUID NOT NULL REFERENCES workspaces (id),
    inbox_id UUID NOT NULL REFERENCES inboxes (id),
    name TEXT,
    email TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX contacts_workspace ON contacts (workspace_id);

CREATE TABLE visitor_sessions (
    token_hash BYTEA PRIMARY KEY NOT NULL,
    contact_id UUID NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    inbox_id UUID NOT NULL REFERENCES inboxes (id),
    workspace_id UUID NOT NULL REFERENCES workspaces (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX visitor_sessions_contact ON visitor_sessions (contact_id);

CREATE TABLE conversations (
    id UUID PRIMARY KEY NOT NULL,
    workspace_id UUID NOT NULL REFERENCES workspaces (id),
    inbox_id UUID NOT NULL REFERENCES inboxes (id),
    contact_id UUID NOT NULL REFERENCES contacts (id),
    status TEXT NOT NULL CHECK (status IN ('open', 'pending', 'snoozed', 'resolved')),
    assignee_id UUID REFERENCES agents (id),
    last_seq BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX conversations_workspace_updated ON conversations (workspace_id, updated_at DESC);
CREATE INDEX conversations_contact ON conversations (contact_id, updated_at DESC);

CREATE TABLE messages (
    conversation_id UUID NOT NULL REFERENCES conversations (id),
    seq BIGINT NOT NULL,
    id UUID NOT NULL UNIQUE,
    client_msg_id TEXT,
    author_kind TEXT NOT NULL CHECK (author_kind IN ('contact', 'agent', 'bot', 'system')),
    author_id UUID,
    author_name TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('text', 'note', 'event')),
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
-- A backstop for the duplicate check in append_message; system messages have no author id.
CREATE UNIQUE INDEX messages_dedupe ON messages (conversation_id, author_kind, COALESCE(author_id, '00000000-0000-0000-0000-000000000000'::uuid), client_msg_id);
