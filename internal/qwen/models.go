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
			// A thinking model's entry gives these two instead of
			// max_generation_length (qwen-wire.md §3, recorded).
			MaxThinkingGenerationLength int             `json:"max_thinking_generation_length"`
			MaxSummaryGenerationLength  int             `json:"max_summary_generation_length"`
			Abilities                   json.RawMessage `json:"abilities"`
			// ThinkSkip says whether thinking may be turned off (2026;
			// {"enable": false} on the qwen3.8 family, qwen-2026.md §2.2).
			ThinkSkip *struct {
				Enable *bool `json:"enable"`
			} `json:"think_skip"`
		} `json:"meta"`
	} `json:"info"`
}

// ThinkingRequired reports whether the model's entry marks thinking as not
// skippable: Qwen then refuses thinking_enabled:false with invalid_input.
func (m *Model) ThinkingRequired() bool {
	ts := m.Info.Meta.ThinkSkip
	return ts != nil && ts.Enable != nil && !*ts.Enable
}

// Models fetches the model list. It reads both the 2026 form
// ({"success":true,"data":{"data":[…]}} at /api/v2/models/) and the 2025 one
// ({"data":[…]} at /api/models), trying the latter when the former is gone.
func (c *Client) Models(ctx context.Context) ([]Model, error) {
	models, err := c.models(ctx)
	c.observe(ctx, "models", err)
	if err == nil {
		c.thinking.learn(models, c.now())
	}
	return models, err
}

func (c *Client) models(ctx context.Context) ([]Model, error) {
	creds, err := c.cfg.Credentials.Credentials(ctx)
	if err != nil {
		return nil, err
	}
	header := func(r *http.Request) { c.setHeaders(r, creds, refererNewChat, "") }
	b, err := c.do(ctx, http.MethodGet, "/api/v2/models/", nil, creds, header)
	if qe, ok := AsError(err); ok && qe.Kind == KindNotFound {
		b, err = c.do(ctx, http.MethodGet, "/api/models", nil, creds, header)
	}
	if err != nil {
		return nil, err
	}
	var list struct {
		Success *bool           `json:"success"`
		Data    json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, &Error{Kind: KindBadResponse, Message: "unreadable model list", Err: err}
	}
	if list.Success != nil && !*list.Success {
		var env envelope
		if json.Unmarshal(b, &env) == nil {
			if f := env.failure(0); f != nil {
				return nil, f
			}
		}
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
