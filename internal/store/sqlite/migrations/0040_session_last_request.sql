-- The request id of the call whose answer each session's chat gave last (''
-- before the first, or before this migration). A Responses call whose
-- previous_response_id names an earlier response of the session (two
-- requests branching off one response) goes on in a session and chat of its
-- own, told that response's conversation, rather than after answers its
-- client never saw: read under the session's lock, this says which.
ALTER TABLE sessions ADD COLUMN last_request_id TEXT NOT NULL DEFAULT '';
