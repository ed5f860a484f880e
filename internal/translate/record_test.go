package translate

import (
	"encoding/json"
	"testing"

	"qwenproxy/internal/qwen"
)

// oldUpstreamRecord is UpstreamRecord as encoding/json wrote it.
func oldUpstreamRecord(a *Answer) []byte {
	type message struct {
		Role             string        `json:"role"`
		Content          string        `json:"content"`
		ReasoningContent string        `json:"reasoning_content,omitempty"`
		WebSearchInfo    []qwen.Source `json:"web_search_info,omitempty"`
		Image            string        `json:"image,omitempty"`
	}
	rec := struct {
		Success bool `json:"success"`
		Data    struct {
			ChatID    string `json:"chat_id"`
			ParentID  string `json:"parent_id"`
			MessageID string `json:"message_id"`
			Choices   []struct {
				Message message `json:"message"`
			} `json:"choices"`
		} `json:"data"`
		Usage    *qwen.Usage `json:"usage,omitempty"`
		Finished bool        `json:"finished"`
		Events   int         `json:"events"`
	}{Success: a.Finished, Finished: a.Finished, Events: a.Events}
	rec.Data.ChatID, rec.Data.ParentID, rec.Data.MessageID = a.Created.ChatID, a.Created.ParentID, a.Created.ResponseID
	rec.Data.Choices = append(rec.Data.Choices, struct {
		Message message `json:"message"`
	}{message{Role: "assistant", Content: a.Content(), ReasoningContent: a.Reasoning(), WebSearchInfo: a.sources, Image: a.Image()}})
	if a.hasUsage {
		u := a.usage
		rec.Usage = &u
	}
	b, _ := json.Marshal(rec)
	return b
}

// recordAnswer is an answer with every part of the record set from the
// inputs; flags picks which parts there are.
func recordAnswer(id, content, reasoning, title, url, snippet string, flags uint8, n int) *Answer {
	a := &Answer{Created: qwen.Created{ChatID: id, ParentID: title, ResponseID: url}, Events: n, Finished: flags&1 != 0}
	a.content.WriteString(content)
	a.reasoning.WriteString(reasoning)
	if flags&2 != 0 {
		a.sources = []qwen.Source{{Title: title, URL: url, Snippet: snippet}, {Title: snippet, URL: id}}
	}
	if flags&4 != 0 {
		a.image, a.imageDone = url, flags&8 != 0
	}
	if flags&16 != 0 {
		a.usage, a.hasUsage = qwen.Usage{InputTokens: n, OutputTokens: -n, TotalTokens: n * 3}, true
		if flags&32 != 0 {
			a.usage.OutputTokensDetails.ReasoningTokens = n / 2
		}
		if flags&64 != 0 {
			a.usage.CachedTokens, a.usage.PromptTokensDetails.CachedTokens = n/3, n/4
		}
	}
	return a
}

func checkRecord(t *testing.T, a *Answer) {
	t.Helper()
	if got, want := a.UpstreamRecord(), oldUpstreamRecord(a); string(got) != string(want) {
		t.Fatalf("UpstreamRecord:\n%s\nencoding/json:\n%s", got, want)
	}
}

func TestUpstreamRecordEncoding(t *testing.T) {
	checkRecord(t, &Answer{})
	for flags := range uint8(128) {
		checkRecord(t, recordAnswer("chat", "the <answer>\n", "", "T", "https://a/?x=1&y=2", "", flags, 7))
		checkRecord(t, recordAnswer("", "", "thought \u2028 \xff", "", "", "snip", flags, 0))
	}
}

// FuzzUpstreamRecordEncoding: the record is byte for byte what
// encoding/json wrote, whatever the answer holds.
func FuzzUpstreamRecordEncoding(f *testing.F) {
	f.Add("chat", "answer", "thinking", "title", "https://x", "snippet", uint8(127), 200)
	f.Fuzz(func(t *testing.T, id, content, reasoning, title, url, snippet string, flags uint8, n int) {
		checkRecord(t, recordAnswer(id, content, reasoning, title, url, snippet, flags, n))
	})
}
