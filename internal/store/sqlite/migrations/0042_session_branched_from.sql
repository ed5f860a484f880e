-- The session a session branched off from ('' for none, or before this
-- migration): a Responses call whose previous_response_id names an earlier
-- response of its session goes on in a session of its own (migration 0040).
-- A client that names its conversation with a fixed X-Session-Id continues
-- the branch under that name: this says the branch's response is of the
-- conversation the header names.
ALTER TABLE sessions ADD COLUMN branched_from TEXT NOT NULL DEFAULT '';
