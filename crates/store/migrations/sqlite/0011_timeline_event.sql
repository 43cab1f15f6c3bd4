-- A timeline line (a system note) keeps what it records as data (JSON of
-- protocol::model::TimelineEvent) beside its body in words.
ALTER TABLE messages ADD COLUMN event TEXT;
