package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"qwenproxy/internal/qwen"
)

// contextNotice opens the inline prompt of a turn whose text went as a
// file: what the attachment is, and that its end follows.
const contextNotice = "[Context attachment]\n" +
	"The complete context of this turn (instructions, tool definitions, the conversation so far and the current request) " +
	"is in the attached text file %s. Read it whole, as authoritative, before answering. Its last part follows.\n\n…"

// offloadContext sends a turn whose text is over CONTEXT_FILE_BYTES as the
// 2026 peers send oversized agent context (qwen-2026.md §2 "Large
// prompts"; weselow/Qwen2API src/utils/request.js at 374bc842,
// externalizeOversizedAgentContext, past config.agentContextFileThresholdBytes,
// whose default in a later version of that code's src/config/index.js
// (AGENT_CONTEXT_FILE_THRESHOLD_BYTES; its repository not named by the
// index searched) is 90 KiB, "as Qwen's firewall answers a captcha when
// the JSON body nears 128 KiB"; another peer, from the web client's HAR of
// 2026-08-20, splits past 100,000 characters, seeing the captcha past about
// 118,000): the whole text uploaded as a text document
// (qwen.Client.UploadDocument) and attached, and an inline prompt of a
// notice and the text's last part, at most half the threshold, in place
// of the text. A chat is not sent the same text twice (a retry reuses the
// upload). Only a user turn of a text or search chat is offloaded: an
// image prompt or a prefill goes as it is. The upload's failure fails the
// turn (an uploadError): sent inline, the turn would meet the firewall.
func (s *Server) offloadContext(ctx context.Context, c *call, chatID string, spec *qwen.MessageSpec) error {
	limit := s.cfg.Capabilities.ContextFileBytes
	if limit <= 0 || len(spec.Content) <= limit || spec.Role == "assistant" ||
		(spec.ChatType != "" && spec.ChatType != qwen.ChatTypeText && spec.ChatType != qwen.ChatTypeSearch) {
		return nil
	}
	data := []byte(spec.Content)
	sum := sha256.Sum256(data)
	hexSum := hex.EncodeToString(sum[:])
	name := "context-" + hexSum[:12] + ".txt"
	up, can := s.deps.Upstream.(documentUploader)
	if !can {
		return &qwen.Error{Kind: qwen.KindBadRequest, Message: "this upstream cannot take documents"}
	}
	files, err := s.uploadOnce(ctx, c, chatID, []upload{{name: name, contentType: "text/plain", sha256: hexSum, data: data}}, true, up.UploadDocument)
	if err != nil {
		return err
	}
	notice := fmt.Sprintf(contextNotice, name)
	spec.Content = notice + lastPart(spec.Content, limit/2-len(notice))
	spec.Files = append(spec.Files, files...)
	return nil
}

// lastPart is the end of text, at most n bytes, begun at a line's start
// when one is in its first half (else at a rune's start).
func lastPart(text string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(text) <= n {
		return text
	}
	start := len(text) - n
	for start < len(text) && !utf8.RuneStart(text[start]) {
		start++
	}
	if i := strings.IndexByte(text[start:], '\n'); i >= 0 && i < n/2 {
		start += i + 1
	}
	return text[start:]
}
