-- The key of the history a session's latest answered turn came with (NULL
-- for none: it came by no history of its chat's, or before this
-- migration). A request whose history is that one — a regenerate, an
-- edited last message, a Chat Completions retry of a call answered
-- meanwhile, an agent's summary or side call — is asked again in the
-- session's chat, where that turn was asked (prior_*, migration 0044),
-- rather than open a session of its own and replay the conversation into
-- a new chat. Kept in memory alone, it was lost at a restart and never
-- known on PostgreSQL, whose instances share sessions through the database.
ALTER TABLE sessions ADD COLUMN prior_conversation_hash TEXT;
CREATE INDEX idx_sessions_prior_conversation_hash ON sessions(prior_conversation_hash) WHERE prior_conversation_hash IS NOT NULL;
