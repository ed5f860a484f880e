-- The session search read every session's first message: 50-97 ms a page at
-- 50,000 sessions. session_search is FTS5's trigram index of each first
-- message in the search's own folded form (qwenproxy_fold: Unicode's simple
-- case folding, as qwenproxy_contains_fold compares; FTS5's own folding is
-- another), the sessions a search of three characters or more narrows to
-- before its own condition tests each (the dialect's SessionSearch), so the sessions found
-- do not change. It keeps the folded text (a contentless table would not,
-- but one that can delete its rows needs SQLite 3.43, and the sqlite3 shell
-- of Debian 12 is 3.40: it could not delete a session).
-- Its rowid is session_search_ids's, an INTEGER PRIMARY KEY (kept by VACUUM,
-- where a session's rowid, of a table without one, may be renumbered), beside
-- the session's id. Triggers keep both in step with every write of sessions.
-- Run again, it builds them afresh.
DROP TRIGGER IF EXISTS session_search_insert;
DROP TRIGGER IF EXISTS session_search_update;
DROP TRIGGER IF EXISTS session_search_delete;
DROP TABLE IF EXISTS session_search;
DROP TABLE IF EXISTS session_search_ids;
CREATE TABLE session_search_ids (
  id         INTEGER PRIMARY KEY,
  session_id TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE session_search USING fts5(folded, tokenize='trigram case_sensitive 1');

INSERT INTO session_search_ids (session_id) SELECT id FROM sessions;
INSERT INTO session_search (rowid, folded)
    SELECT m.id, qwenproxy_fold(s.first_user_message) FROM session_search_ids m JOIN sessions s ON s.id = m.session_id;

CREATE TRIGGER session_search_insert AFTER INSERT ON sessions BEGIN
    INSERT INTO session_search_ids (session_id) VALUES (new.id);
    INSERT INTO session_search (rowid, folded)
        SELECT id, qwenproxy_fold(new.first_user_message) FROM session_search_ids WHERE session_id = new.id;
END;
CREATE TRIGGER session_search_update AFTER UPDATE OF id, first_user_message ON sessions
    WHEN new.id IS NOT old.id OR new.first_user_message IS NOT old.first_user_message BEGIN
    DELETE FROM session_search WHERE rowid = (SELECT id FROM session_search_ids WHERE session_id = old.id);
    UPDATE session_search_ids SET session_id = new.id WHERE session_id = old.id;
    INSERT INTO session_search (rowid, folded)
        SELECT id, qwenproxy_fold(new.first_user_message) FROM session_search_ids WHERE session_id = new.id;
END;
CREATE TRIGGER session_search_delete AFTER DELETE ON sessions BEGIN
    DELETE FROM session_search WHERE rowid = (SELECT id FROM session_search_ids WHERE session_id = old.id);
    DELETE FROM session_search_ids WHERE session_id = old.id;
END;
