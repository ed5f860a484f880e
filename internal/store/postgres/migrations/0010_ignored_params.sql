-- The request fields a call sent that had no effect (the "ignored" policy of
-- the field table, and unknown fields), comma-separated in body order; NULL
-- when there were none.
ALTER TABLE requests ADD COLUMN ignored_params TEXT;
