-- Whether a conversation's items added directly, and its metadata, are kept
-- as a call's record keeps them (secrets redacted, images as references):
-- TRUE for a conversation made since; FALSE for one made before, whose items were
-- stored as sent, and which the server rewrites so when it starts
-- (KeepConversationItems), then marks TRUE.
ALTER TABLE conversations ADD COLUMN IF NOT EXISTS items_kept BOOLEAN NOT NULL DEFAULT FALSE;
