-- The request id of the call whose answer a call's replaced (NULL for
-- none, and for the calls before this migration): asked in place of its
-- session's latest answered turn — a Responses regenerate or retry from the
-- same previous_response_id, a Chat Completions history asking its last
-- turn again — and answered, so that the conversation as it stands goes on
-- from its answer. Kept with the call's metadata, so that the session's
-- transcript marks both calls (regenerates, replaced_by) when the call was
-- recorded without bodies, and for Chat, whose body names no earlier call.
ALTER TABLE requests ADD COLUMN replaces TEXT;
