-- An item_reference may name an item added to a conversation (its id is made
-- from its entry's, entry_id): the entry is found by its id alone, without
-- knowing its conversation, as a response's item is found by its request id.
CREATE INDEX IF NOT EXISTS idx_conversation_entries_entry_id ON conversation_entries(entry_id);
