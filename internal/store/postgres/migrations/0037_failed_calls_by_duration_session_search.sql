-- The response list under an error type sorted by duration walked the
-- duration index of every call and read each response's row to test its
-- error type: 6,700 rows for a page of 50 of a type's 7,500 calls at a
-- million (40-210 ms). A partial index of the failed calls by error type
-- and duration makes such a page a range of it. Only failed calls have an
-- entry: a call that succeeds writes nothing here.
CREATE INDEX IF NOT EXISTS idx_responses_error_type_duration ON responses(error_type, duration_us, id)
    WHERE error_type IS NOT NULL;

-- The session search (lower(first_user_message) LIKE '%…%') read every
-- session's first message: 40-53 ms a page at 50,000 sessions. pg_trgm's
-- trigram index on the same expression finds the sessions whose first
-- message holds the search's trigrams (each then tested by the same LIKE,
-- so the sessions found do not change). pg_trgm ships with PostgreSQL
-- (Debian's postgresql-15, the contrib modules) and is a trusted extension:
-- the database's owner may create it. Where it is missing, or the role may
-- not create it, the search reads every first message as before: the
-- migration does not fail, and an administrator may later run
--   CREATE EXTENSION pg_trgm;
--   CREATE INDEX idx_sessions_first_message_trgm ON sessions
--       USING gin (lower(first_user_message) gin_trgm_ops);
-- The extension goes into the public schema where it may (one install serves
-- every schema of the database; one made in a store's own schema would go
-- when that schema is dropped, and the others' indexes with it), else into
-- the current one; the index names its operator class by the extension's
-- schema, wherever that is.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        BEGIN
            CREATE EXTENSION pg_trgm SCHEMA public;
        EXCEPTION WHEN OTHERS THEN
            BEGIN
                CREATE EXTENSION pg_trgm;
            EXCEPTION WHEN OTHERS THEN
                RAISE NOTICE 'pg_trgm not created (%): the session search reads every first message', SQLERRM;
            END;
        END;
    END IF;
END $$;
DO $$
DECLARE
    schema_name TEXT;
BEGIN
    SELECT n.nspname INTO schema_name FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'pg_trgm';
    IF schema_name IS NOT NULL THEN
        BEGIN
            EXECUTE format('CREATE INDEX IF NOT EXISTS idx_sessions_first_message_trgm ON sessions '
                'USING gin (lower(first_user_message) %I.gin_trgm_ops)', schema_name);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'pg_trgm not usable (%): the session search reads every first message', SQLERRM;
        END;
    END IF;
END $$;
