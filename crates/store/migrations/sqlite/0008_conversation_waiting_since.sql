-- When the oldest unanswered contact message was sent, kept with every append instead of
-- computed from the conversation's messages on every read (which made reading a long
-- conversation, and every list holding it, as slow as its history is long).
ALTER TABLE conversations ADD COLUMN waiting_since BIGINT;
UPDATE conversations SET waiting_since = (
    SELECT MIN(w.created_at) FROM messages w
    WHERE w.conversation_id = conversations.id AND w.author_kind = 'contact'
      AND w.seq > COALESCE((SELECT MAX(r.seq) FROM messages r
                            WHERE r.conversation_id = conversations.id
                              AND r.author_kind = 'agent' AND r.kind = 'text'), 0));
