-- The branches of a session (migration 0042), found when it is deleted:
-- each takes the session the deleted one branched off from ('' for none),
-- in the delete's transaction. Few sessions are branches, so the index
-- holds only theirs.
CREATE INDEX sessions_branched_from ON sessions (branched_from) WHERE branched_from <> '';
-- Branches whose session was deleted before: the session they name is
-- gone, and a later session under its id, another conversation, would be
-- taken for theirs. What it branched off from is not known any more.
UPDATE sessions SET branched_from = ''
	WHERE branched_from <> '' AND NOT EXISTS (SELECT 1 FROM sessions p WHERE p.id = sessions.branched_from);
