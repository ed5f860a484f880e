package qwen

import (
	"context"
	"encoding/json"
	"net/http"
)

// Model is one entry of Qwen's model list, with the fields the proxy maps.
type Model struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	OwnedBy string `json:"owned_by"`
	Info    struct {
		IsActive        bool  `json:"is_active"`
		IsVisitorActive bool  `json:"is_visitor_active"`
		CreatedAt       int64 `json:"created_at"`
		Meta            struct {
			Description         string          `json:"description"`
			Capabilities        json.RawMessage `json:"capabilities"`
			ChatType            []string        `json:"chat_type"`
			MaxContextLength    int             `json:"max_context_length"`
			MaxGenerationLength int             `json:"max_generation_length"`
			Abilities           json.RawMessage `json:"abilities"`
		} `json:"meta"`
	} `json:"info"`
}

// Models fetches the model list. It reads both the 2025 form
// ({"data":[…]} at /api/models) and the 2026 one ({"success":true,
// "data":{"data":[…]}} at /api/v2/models/), trying the latter when the
// former is gone.
func (c *Client) Models(ctx context.Context) ([]Model, error) {
	creds, err := c.cfg.Credentials.Credentials(ctx)
	if err != nil {
		return nil, err
	}
	header := func(r *http.Request) { c.setHeaders(r, creds, false) }
	b, err := c.do(ctx, http.MethodGet, "/api/models", nil, header)
	if qe, ok := AsError(err); ok && qe.Kind == KindNotFound {
		b, err = c.do(ctx, http.MethodGet, "/api/v2/models/", nil, header)
	}
	c.observe("models", err)
	if err != nil {
		return nil, err
	}
	var list struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, &Error{Kind: KindBadResponse, Message: "unreadable model list", Err: err}
	}
	var models []Model
	if err := json.Unmarshal(list.Data, &models); err != nil {
		var nested struct {
			Data []Model `json:"data"`
		}
		if err2 := json.Unmarshal(list.Data, &nested); err2 != nil {
			return nil, &Error{Kind: KindBadResponse, Message: "unreadable model list", Err: err}
		}
		models = nested.Data
	}
	return models, nil
}
