-- A contact can be blocked from the console: their visitor sessions end and are refused.
ALTER TABLE contacts ADD COLUMN blocked_at INTEGER;
