-- Whether a conversation's items added directly, and its metadata, are kept
-- as a call's record keeps them (secrets redacted, images as references):
-- 1 for a conversation made since; 0 for one made before, whose items were
-- stored as sent, and which the server rewrites so when it starts
-- (KeepConversationItems), then marks 1.
ALTER TABLE conversations ADD COLUMN items_kept INTEGER NOT NULL DEFAULT 0;
