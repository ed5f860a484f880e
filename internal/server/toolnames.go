package server

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	qp "qwenproxy"
	"qwenproxy/internal/anthropic"
	"qwenproxy/internal/auth"
	"qwenproxy/internal/historyapi"
	"qwenproxy/internal/openai"
)

// A tool result whose call is not in the request — a Responses
// function_call_output under previous_response_id, or the tool message of a
// client that, under X-Session-Id, sends only the new messages — is told
// to Qwen with its tool's name, read from the record of the call that made
// it, or from the session whose last answer made it (its state is in the
// database from the end of each turn, on every instance sharing it, where
// the call's record may still wait in another instance's recorder). Qwen's
// chat holds those calls only as the model wrote them, without the proxy's
// call ids. A record without bodies, of a call before the last answer,
// leaves such results unnamed.

// unnamedResults returns the indexes of the tool results in msgs that have
// neither a name nor their call before them.
func unnamedResults(msgs []qp.Message) []int {
	var called map[string]bool
	var unnamed []int
	for i, m := range msgs {
		for _, tc := range m.ToolCalls {
			if called == nil {
				called = map[string]bool{}
			}
			called[tc.ID] = true
		}
		if m.Role == "tool" && m.ToolName == "" && !called[m.ToolCallID] {
			unnamed = append(unnamed, i)
		}
	}
	return unnamed
}

// nameResults gives the results msgs[unnamed] their tools' names from a
// recorded answer (any client API's).
func nameResults(msgs []qp.Message, unnamed []int, answer []byte) {
	names := toolCallNames(answer)
	for _, i := range unnamed {
		msgs[i].ToolName = names[msgs[i].ToolCallID]
	}
}

// nameFromSession gives the results msgs[unnamed] the names of the session's
// last answer's calls they answer, and returns the indexes of those it could
// not name.
func nameFromSession(msgs []qp.Message, unnamed []int, s *qp.Session) []int {
	if len(s.LastCallNames) != len(s.LastCallIDs) { // a state from before names were kept
		return unnamed
	}
	var rest []int
	for _, i := range unnamed {
		if k := slices.Index(s.LastCallIDs, msgs[i].ToolCallID); k >= 0 {
			msgs[i].ToolName = s.LastCallNames[k]
		} else {
			rest = append(rest, i)
		}
	}
	return rest
}

// toolCallNames reads the tool calls' names by call id from a recorded
// answer in the form of any client API: a chat completion's
// choices[].message.tool_calls, a Responses object's function_call items,
// an Anthropic message's tool_use blocks (their toolu_ ids read as the
// core's call ids).
func toolCallNames(answer []byte) map[string]string {
	var a struct {
		Choices []struct {
			Message struct {
				ToolCalls []struct {
					ID       string `json:"id"`
					Function struct {
						Name string `json:"name"`
					} `json:"function"`
					Custom struct {
						Name string `json:"name"`
					} `json:"custom"`
				} `json:"tool_calls"`
			} `json:"message"`
		} `json:"choices"`
		Output []struct {
			Type   string `json:"type"`
			CallID string `json:"call_id"`
			Name   string `json:"name"`
		} `json:"output"`
		Content []struct {
			Type string `json:"type"`
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"content"`
	}
	names := map[string]string{}
	if json.Unmarshal(answer, &a) != nil {
		return names
	}
	for _, c := range a.Choices {
		for _, tc := range c.Message.ToolCalls {
			names[tc.ID] = cmp.Or(tc.Function.Name, tc.Custom.Name)
		}
	}
	for _, it := range a.Output {
		if it.Type == "function_call" || it.Type == "custom_tool_call" {
			names[it.CallID] = it.Name
		}
	}
	for _, b := range a.Content {
		if b.Type == "tool_use" {
			names[anthropic.CallID(b.ID)] = b.Name
		}
	}
	return names
}

// namePreviousCalls names the results of the calls of the Responses object
// previousID, which previous_response_id does not resend. A database that
// fails the reads (or does not answer within HISTORY_READ_TIMEOUT) fails
// the call, 503: the results would go up unnamed.
func (s *Server) namePreviousCalls(ctx context.Context, previousID string, msgs []qp.Message) *openai.Error {
	unnamed := unnamedResults(msgs)
	if len(unnamed) == 0 {
		return nil
	}
	requestID, sessionID, ok := parseResponseID(previousID)
	if !ok {
		return nil
	}
	sess, err := s.deps.History.SessionRecord(ctx, sessionID)
	switch {
	case err == nil && sess.APIKeyID == auth.FromContext(ctx).KeyID:
		if unnamed = nameFromSession(msgs, unnamed, &sess.Session); len(unnamed) == 0 {
			return nil
		}
	case err != nil && !errors.Is(err, qp.ErrNotFound):
		return s.responseUnreadable(err)
	}
	rec, err := s.recordedCall(ctx, requestID)
	switch {
	case errors.Is(err, qp.ErrNotFound):
		return nil
	case err != nil:
		return s.responseUnreadable(err)
	case rec.Response == nil:
		return nil
	}
	nameResults(msgs, unnamed, rec.Response.OpenAIResponse)
	return s.refuseUncalled(ctx, msgs, unnamed, rec)
}

// nameSessionCalls names the results of the calls the session's latest
// answer made (an X-Session-Id client may send only the new messages). A
// session of another API key is not read: it is not this caller's. A
// database that fails the reads (or does not answer within
// HISTORY_READ_TIMEOUT) is its error (qp.ErrStoreUnavailable), which fails
// the turn: the results would go up unnamed.
func (s *Server) nameSessionCalls(ctx context.Context, sessionID string, msgs []qp.Message) error {
	unnamed := unnamedResults(msgs)
	if len(unnamed) == 0 {
		return nil
	}
	if err := historyapi.CaughtUp(ctx, s.deps.Recorder); err != nil { // the answer before may still be queued
		return nil
	}
	sess, err := s.deps.History.SessionRecord(ctx, sessionID)
	switch {
	case errors.Is(err, qp.ErrNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("read the session whose tool calls the results answer: %w", err)
	case sess.APIKeyID != auth.FromContext(ctx).KeyID:
		return nil
	}
	if unnamed = nameFromSession(msgs, unnamed, &sess.Session); len(unnamed) == 0 {
		return nil
	}
	page, err := s.deps.History.ListResponses(ctx, qp.CallFilter{SessionID: sessionID, FinishReason: qp.FinishToolCalls},
		qp.ListOptions{Limit: 1, Bodies: true, NoTotal: true})
	switch {
	case err != nil:
		return fmt.Errorf("read the answer whose tool calls the results answer: %w", err)
	case len(page.Items) == 0:
		return nil
	}
	nameResults(msgs, unnamed, page.Items[0].OpenAIResponse)
	return nil
}
