-- Where a session's latest answered turn was asked from ('' for none, or
-- before this migration): the node it hung under, the request id of the
-- call whose answer that node is, that answer's tool calls and their tools
-- (space-separated, as last_call_ids and last_call_names), and what the
-- chat had been told there. A Responses call whose previous_response_id
-- names that answer — an SDK's retry of a call answered meanwhile, or a
-- regenerate — is asked again in the session's chat, under that node, as
-- Qwen's web client regenerates, rather than branch off into a new chat
-- told the whole chain (migration 0040).
ALTER TABLE sessions ADD COLUMN prior_parent_id TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN prior_request_id TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN prior_call_ids TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN prior_call_names TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN prior_told_system_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN prior_told_tools_hash TEXT NOT NULL DEFAULT '';
