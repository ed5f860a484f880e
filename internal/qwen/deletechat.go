package qwen

import (
	"context"
	"net/http"
	"net/url"
)

// DeleteChat deletes chat chatID of the account ctx names (DELETE
// /api/v2/chats/{id}, with the web client's headers and the account's
// credentials: the call the web UI's "Delete" makes, which peers use to
// clean up the chats they created; qwen-2026.md §4, (b)6). A chat Qwen no
// longer knows (deleted in the web UI, already deleted by another instance)
// counts as deleted. It is not retried: a chat left is deleted at the next
// sweep. Errors are *Error (or the context's).
func (c *Client) DeleteChat(ctx context.Context, chatID string) error {
	creds, err := c.cfg.Credentials.Credentials(ctx)
	if err != nil {
		return err
	}
	b, err := c.do(ctx, http.MethodDelete, "/api/v2/chats/"+url.PathEscape(chatID), nil, creds, func(r *http.Request) {
		c.setHeaders(r, creds, refererChat, chatID)
	})
	if err == nil {
		var env envelope
		err = decodeEnvelope(b, &env)
	}
	c.observe(ctx, "chats_delete", err)
	if e, ok := AsError(err); ok && e.Kind == KindNotFound {
		return nil
	}
	return err
}
