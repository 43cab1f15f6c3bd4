ALTER TABLE agents ADD COLUMN status TEXT NOT NULL DEFAULT 'offline' CHECK (status IN ('online', 'away', 'offline'));
ALTER TABLE agents ADD COLUMN capacity BIGINT NOT NULL DEFAULT 5;

CREATE TABLE inbox_members (
    inbox_id UUID NOT NULL REFERENCES inboxes (id) ON DELETE CASCADE,
    agent_id UUID NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    PRIMARY KEY (inbox_id, agent_id)
);
CREATE INDEX inbox_members_agent ON inbox_members (agent_id);

CREATE TABLE teams (
    id UUID PRIMARY KEY NOT NULL,
    workspace_id UUID NOT NULL REFERENCES workspaces (id),
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX teams_name ON teams (workspace_id, name);

CREATE TABLE team_members (
    team_id UUID NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    agent_id UUID NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, agent_id)
);
CREATE INDEX team_members_agent ON team_members (agent_id);

ALTER TABLE conversations ADD COLUMN team_id UUID REFERENCES teams (id) ON DELETE SET NULL;
ALTER TABLE conversations ADD COLUMN priority TEXT NOT NULL DEFAULT 'none' CHECK (priority IN ('none', 'low', 'medium', 'high', 'urgent'));
ALTER TABLE conversations ADD COLUMN labels TEXT NOT NULL DEFAULT '[]';
ALTER TABLE conversations ADD COLUMN snoozed_until BIGINT;
CREATE INDEX conversations_assignee ON conversations (workspace_id, assignee_id, status);
CREATE INDEX conversations_snoozed ON conversations (snoozed_until) WHERE snoozed_until IS NOT NULL;

CREATE TABLE canned_responses (
    id UUID PRIMARY KEY NOT NULL,
    workspace_id UUID NOT NULL REFERENCES workspaces (id),
    shortcut TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX canned_responses_shortcut ON canned_responses (workspace_id, shortcut);

CREATE TABLE labels (
    id UUID PRIMARY KEY NOT NULL,
    workspace_id UUID NOT NULL REFERENCES workspaces (id),
    name TEXT NOT NULL,
    color TEXT NOT NULL
);
CREATE UNIQUE INDEX labels_name ON labels (workspace_id, name);
