package qwenproxy

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// ConversationObject is an OpenAI Conversations API object (conv_…): a list
// of items the Responses API continues (responses.create's conversation).
// It belongs to the API key that made it, as a response object does.
type ConversationObject struct {
	ID        string // conv_…
	APIKeyID  string // "" where no keys exist
	CreatedAt time.Time
	Metadata  map[string]string
}

// ConversationEntry is one entry of a conversation, in the order they were
// added: an item added directly (POST /v1/conversations or …/items), or a
// response answered in the conversation, whose input and output items are
// read from its recorded call.
type ConversationEntry struct {
	// Seq orders a conversation's entries; the store assigns it.
	Seq int64
	// ID is an item entry's own UUID (its item id is made from it), a
	// response entry's request id.
	ID        string
	CreatedAt time.Time
	// Item is an item entry's item as the client sent it (JSON); nil for
	// a response.
	Item json.RawMessage
	// ResponseID is a response entry's resp_ id; "" for an item.
	ResponseID string
}

// ErrConversationLocked is returned when another call holds a
// conversation's lock.
var ErrConversationLocked = errors.New("another call is answering in the conversation")

// ConversationStore keeps the Conversations API's objects. A missing (or
// deleted) conversation is ErrNotFound.
type ConversationStore interface {
	// CreateConversation stores c and its first items.
	CreateConversation(ctx context.Context, c ConversationObject, items []ConversationEntry) error
	Conversation(ctx context.Context, id string) (*ConversationObject, error)
	UpdateConversationMetadata(ctx context.Context, id string, metadata map[string]string) error
	// DeleteConversation deletes the conversation and its entries; the
	// calls of its responses stay recorded.
	DeleteConversation(ctx context.Context, id string) error
	// AddConversationEntries appends entries after the conversation's last.
	AddConversationEntries(ctx context.Context, id string, entries []ConversationEntry) error
	// ConversationEntries lists the entries, oldest first.
	ConversationEntries(ctx context.Context, id string) ([]ConversationEntry, error)
	// ConversationItem finds an item entry (one added directly, not a
	// response) by its ID alone, for an item_reference naming its item:
	// the entry, its conversation's id and that conversation's key.
	// ErrNotFound when no conversation has it.
	ConversationItem(ctx context.Context, entryID string) (conversationID, keyID string, e ConversationEntry, err error)
	// ConversationItemWithID finds, for an item_reference naming an id a
	// client gave an item it added to a conversation, the latest such item
	// entry of the key keyID's conversations, and its conversation's id.
	// ErrNotFound when none has it.
	ConversationItemWithID(ctx context.Context, keyID, itemID string) (conversationID string, e ConversationEntry, err error)
	// DeleteConversationEntry deletes one entry by its ID.
	DeleteConversationEntry(ctx context.Context, id, entryID string) error
	// LockConversation holds the conversation for one call, named by
	// token, until until (a lease: a process that dies holding it does not
	// hold it forever); ErrConversationLocked while another call's lease
	// runs.
	LockConversation(ctx context.Context, id, token string, now, until time.Time) error
	// UnlockConversation lets go of token's lock; another's stays.
	UnlockConversation(ctx context.Context, id, token string) error
}
