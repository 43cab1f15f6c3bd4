-- An agent can be deactivated (offboarding): sign-in refused, sessions ended, history kept.
ALTER TABLE agents ADD COLUMN deactivated_at BIGINT;
