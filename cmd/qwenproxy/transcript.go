package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"qwenproxy/internal/historyapi"
)

// printTranscript prints turns as a conversation: each message under its
// role, reasoning folded to its first line (unless full), tool calls and
// results as such, and after each answer the call's figures and errors.
func printTranscript(w io.Writer, turns []historyapi.TurnJSON, fullReasoning bool) {
	for _, t := range turns {
		for _, m := range t.Input {
			printMessage(w, m, fullReasoning)
		}
		if !t.Bodies {
			fmt.Fprintln(w, "  (recorded without bodies)")
		}
		printCut(w, t, "request")
		if t.Output != nil {
			printMessage(w, *t.Output, fullReasoning)
		}
		printCut(w, t, "response")
		fmt.Fprintf(w, "  ── call %d · %s · %s\n", t.ID, ms(time.UnixMilli(t.Timestamp)), figures(t))
		if t.Regenerates != "" {
			fmt.Fprintf(w, "  ↻ asked again in place of the answer of request %s (a retry or regenerate — the same previous_response_id, the same conversation sent again — or another question asked in its place)\n", cell(t.Regenerates))
		}
		if t.ReplacedBy != "" {
			fmt.Fprintf(w, "  ↻ this answer was replaced by that of request %s, asked again: the conversation goes on from that one\n", cell(t.ReplacedBy))
		}
		if t.Error != nil {
			kind := ""
			if t.ErrorType != nil {
				kind = *t.ErrorType + ": "
			}
			fmt.Fprintf(w, "  !! %s%s\n", cell(kind), cell(*t.Error))
		}
		fmt.Fprintln(w)
	}
}

// printCut says that the turn's body (request or response) was stored cut:
// without it, the turn reads as if nothing had been sent or answered.
func printCut(w io.Writer, t historyapi.TurnJSON, body string) {
	if slices.Contains(t.Truncated, body) {
		fmt.Fprintf(w, "  (the %s was stored cut, over RECORD_MAX_BODY_BYTES: its messages are not in the history)\n", body)
	}
}

func figures(t historyapi.TurnJSON) string {
	var parts []string
	if t.Status != nil {
		parts = append(parts, fmt.Sprintf("%s %d", cell(*t.Status), t.HTTPStatus))
	}
	parts = append(parts, fmt.Sprintf("%d+%d tokens", t.PromptTokens, t.CompletionTokens))
	if t.DurationMS != nil {
		parts = append(parts, fmt.Sprintf("%.1f ms", *t.DurationMS))
	}
	if t.TTFTMS != nil {
		parts = append(parts, fmt.Sprintf("first token %.1f ms", *t.TTFTMS))
	}
	return strings.Join(parts, " · ")
}

func printMessage(w io.Writer, m historyapi.MessageJSON, fullReasoning bool) {
	label := strings.ToUpper(m.Role)
	if m.Role == "tool" {
		label = "TOOL RESULT"
		if m.IsError { // the client sent it as a failure
			label = "FAILED TOOL RESULT"
		}
		if m.ToolCallID != "" {
			label += " (" + m.ToolCallID + ")"
		}
	}
	if m.FromConversation { // sent from the conversation's items, not the request's body
		label += " (conversation item)"
	}
	fmt.Fprintf(w, "%s\n", cell(label))
	if m.Reasoning != "" {
		if fullReasoning {
			fmt.Fprintf(w, "  [reasoning]\n%s\n", indent(visible(m.Reasoning)))
		} else {
			first, _, _ := strings.Cut(strings.TrimSpace(m.Reasoning), "\n")
			fmt.Fprintf(w, "  [reasoning, %s: --reasoning shows it] %s\n", plural(len([]rune(m.Reasoning)), "character"), cell(oneLine(first, 60)))
		}
	}
	if m.Content != "" {
		fmt.Fprintln(w, indent(visible(m.Content)))
	}
	for _, tc := range m.ToolCalls {
		fmt.Fprintf(w, "  → tool call %s(%s)  [%s]\n", cell(tc.Name), cell(tc.Arguments), cell(tc.ID))
	}
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}
