CREATE TABLE workspaces (
    id BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE agents (
    id BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id),
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent')),
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX agents_workspace ON agents (workspace_id);

CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY NOT NULL,
    agent_id BLOB NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_agent ON sessions (agent_id);

CREATE TABLE inboxes (
    id BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id),
    name TEXT NOT NULL,
    allowed_origins TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX inboxes_workspace ON inboxes (workspace_id);

CREATE TABLE contacts (
    id BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id),
    inbox_id BLOB NOT NULL REFERENCES inboxes (id),
    name TEXT,
    email TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX contacts_workspace ON contacts (workspace_id);

CREATE TABLE visitor_sessions (
    token_hash BLOB PRIMARY KEY NOT NULL,
    contact_id BLOB NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    inbox_id BLOB NOT NULL REFERENCES inboxes (id),
    workspace_id BLOB NOT NULL REFERENCES workspaces (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX visitor_sessions_contact ON visitor_sessions (contact_id);

CREATE TABLE conversations (
    id BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id),
    inbox_id BLOB NOT NULL REFERENCES inboxes (id),
    contact_id BLOB NOT NULL REFERENCES contacts (id),
    status TEXT NOT NULL CHECK (status IN ('open', 'pending', 'snoozed', 'resolved')),
    assignee_id BLOB REFERENCES agents (id),
    last_seq INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX conversations_workspace_updated ON conversations (workspace_id, updated_at DESC);
CREATE INDEX conversations_contact ON conversations (contact_id, updated_at DESC);

CREATE TABLE messages (
    conversation_id BLOB NOT NULL REFERENCES conversations (id),
    seq INTEGER NOT NULL,
    id BLOB NOT NULL UNIQUE,
    client_msg_id TEXT,
    author_kind TEXT NOT NULL CHECK (author_kind IN ('contact', 'agent', 'bot', 'system')),
    author_id BLOB,
    author_name TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('text', 'note', 'event')),
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, seq)
) WITHOUT ROWID;
-- A backstop for the duplicate check in append_message; system messages have no author id.
CREATE UNIQUE INDEX messages_dedupe ON messages (conversation_id, author_kind, COALESCE(author_id, X'00000000000000000000000000000000'), client_msg_id);
