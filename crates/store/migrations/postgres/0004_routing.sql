ALTER TABLE inboxes ADD COLUMN routing TEXT NOT NULL DEFAULT '{}';
ALTER TABLE teams ADD COLUMN policy TEXT CHECK (policy IN ('manual', 'round_robin', 'least_busy'));
ALTER TABLE agents ADD COLUMN last_assigned_at BIGINT;
ALTER TABLE conversations ADD COLUMN queued_at BIGINT;
ALTER TABLE conversations ADD COLUMN assigned_at BIGINT;
CREATE INDEX conversations_queue ON conversations (workspace_id, queued_at) WHERE assignee_id IS NULL AND queued_at IS NOT NULL;
-- Mirrors routing.reoffer_secs, so the re-offer sweep finds the inboxes that re-offer.
ALTER TABLE inboxes ADD COLUMN reoffer_secs BIGINT NOT NULL DEFAULT 0;
