-- The names of the tool calls of each session's last answer, in the order of
-- last_call_ids, separated by spaces ('' for none or before this migration).
-- A tool's result sent alone (a Responses function_call_output under
-- previous_response_id, an X-Session-Id client's new tool message) is told to
-- Qwen with its tool's name: read from the session, which is in the database
-- from the end of each turn, it is there on every instance at once, where the
-- call's record may still wait in another instance's recorder.
ALTER TABLE sessions ADD COLUMN last_call_names TEXT NOT NULL DEFAULT '';
