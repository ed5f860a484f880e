package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	qp "qwenproxy"
	"qwenproxy/internal/openai"
)

// refuseUncalled is OpenAI's 400 for a tool result sent under
// previous_response_id whose call_id names no call: none in the request's
// input (unnamedResults left those out), none in the response it continues
// (rec, whose calls nameResults read), none along that response's chain
// (each response's output and its request's input items). Until 2026-12-07
// it was accepted and Qwen was told "call_bogus said …". What cannot be
// read back whole — a record not found (another instance's, not written
// yet), recorded without bodies, a compaction, whose items the summary
// replaced — refuses nothing: the call may be there. The results it finds
// along the chain are given their tools' names.
func (s *Server) refuseUncalled(ctx context.Context, msgs []qp.Message, unnamed []int, rec *qp.RequestRecord) *openai.Error {
	missing := map[string][]int{}
	names := toolCallNames(rec.Response.OpenAIResponse)
	for _, i := range unnamed {
		if _, ok := names[msgs[i].ToolCallID]; !ok {
			missing[msgs[i].ToolCallID] = append(missing[msgs[i].ToolCallID], i)
		}
	}
	for n := 0; len(missing) > 0 && n < maxChain; n++ {
		calls, previous, whole := chainCalls(rec)
		if !whole {
			return nil
		}
		for id, name := range calls {
			for _, i := range missing[id] {
				msgs[i].ToolName = name
			}
			delete(missing, id)
		}
		if len(missing) == 0 {
			return nil
		}
		if previous == "" {
			break
		}
		requestID, _, ok := parseResponseID(previous)
		if !ok {
			return nil
		}
		var err error
		switch rec, err = s.recordedCall(ctx, requestID); {
		case errors.Is(err, qp.ErrNotFound):
			return nil
		case err != nil:
			return s.responseUnreadable(err)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	first := unnamed[len(unnamed)-1]
	for _, idx := range missing {
		first = min(first, idx[0])
	}
	return &openai.Error{Status: http.StatusBadRequest, Type: openai.TypeInvalidRequest, Param: "input",
		Message: "No tool call found for function call output with call_id " + clip(msgs[first].ToolCallID) + "."}
}

// chainCalls are the tool calls of a recorded Responses call, by call id to
// their tools' names: its output's and its request's input items', and the
// previous_response_id its request continued. whole is false when the
// record cannot say: recorded without bodies, or a compaction.
func chainCalls(rec *qp.RequestRecord) (calls map[string]string, previous string, whole bool) {
	if rec.OpenAIRequest == nil || rec.Response == nil || rec.Response.OpenAIResponse == nil {
		return nil, "", false
	}
	var req struct {
		PreviousResponseID string          `json:"previous_response_id"`
		Input              json.RawMessage `json:"input"`
	}
	_ = json.Unmarshal(rec.OpenAIRequest, &req)
	var out struct {
		Object string `json:"object"`
		Output []struct {
			Type string `json:"type"`
		} `json:"output"`
	}
	_ = json.Unmarshal(rec.Response.OpenAIResponse, &out)
	if out.Object != "response" {
		return nil, "", false // a compaction's, or not a response
	}
	for _, it := range out.Output {
		if it.Type == "compaction" {
			return nil, "", false
		}
	}
	calls = toolCallNames(rec.Response.OpenAIResponse)
	var items []struct {
		Type   string `json:"type"`
		CallID string `json:"call_id"`
		Name   string `json:"name"`
	}
	if json.Unmarshal(req.Input, &items) == nil {
		for _, it := range items {
			switch it.Type {
			case "function_call", "custom_tool_call":
				calls[it.CallID] = it.Name
			case "item_reference", "compaction":
				return nil, "", false // what it named is not read here
			}
		}
	}
	return calls, req.PreviousResponseID, true
}
