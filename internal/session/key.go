// Package session maps client conversations onto Qwen chats: it derives the
// conversation key from the resent history, finds or opens the session, and
// serialises the turns of one session.
package session

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"slices"
	"strings"
	"sync"
	"unicode"

	qp "qwenproxy"
	"qwenproxy/internal/jsonscan"
)

// Key hashes a conversation (optionally followed by the assistant answer the
// proxy just gave) into the key its next request will be found by.
//
// The normal form keeps what a client reliably resends: role, text with outer
// whitespace trimmed (clients differ in trimming), tool calls by name and
// arguments, and tool results by call id. The text of a message that calls
// tools is left out: clients resend such a message with the text they were
// answered, or with content null or "" (several agents drop it), and all
// three must find the session. So are the <system-reminder> blocks of user
// messages and tool results (see withoutReminders), and the system
// messages, wherever they stand: agents remake them. Claude Code's
// environment (its date, whether the directory is a git repository)
// follows the user's first message, so `claude --continue` on another day
// resends it changed; Qwen Code's system prompt holds `git status`, which
// changes as soon as a turn writes a file, so `qwen --continue` resends it
// changed. A system prompt is the conversation's setting, as its tool set
// is (neither is keyed): a changed one is told to the chat again (see
// translate.Decide). Fields are length-prefixed so that no two different
// conversations share an encoding.
func Key(msgs []qp.Message, answer *qp.Message) string {
	if answer == nil && !conversing(msgs) {
		return noConversationKey()
	}
	return hashConversation(keyPrefix, msgs, answer)
}

// noConversationKey is the Key of a history with nothing keyed in it —
// none, or system messages only —: every conversation's first turn asks
// for it, hashed once rather than on each (a SHA-256 of the prefix and its
// hex, ~4,000 instructions a call).
var noConversationKey = sync.OnceValue(func() string { return hashConversation(keyPrefix, nil, nil) })

// conversing reports whether msgs has a message Key writes: one that is
// not a system message (which Key leaves out wherever it stands).
func conversing(msgs []qp.Message) bool {
	for i := range msgs {
		if msgs[i].Role != "system" {
			return true
		}
	}
	return false
}

// keyPrefix begins every key's encoding. Keys without system messages are
// those of earlier versions, which keyed the system prompt before the
// conversation (see legacyKey): a conversation without one is found by the
// key it was stored under.
const keyPrefix = "qwenproxy-key-v1"

// legacyKey is the key earlier versions stored for msgs: with the system
// messages before the conversation's first other one. A session stored
// under it (before an upgrade) is found by it until its next turn stores
// the key of today. "" when msgs has no such system message (its key is
// Key's).
func legacyKey(msgs []qp.Message) string {
	if len(msgs) == 0 || msgs[0].Role != "system" {
		return ""
	}
	scratch := scratchBuffers.Get().(*[]byte)
	defer scratchBuffers.Put(scratch)
	w := keyWriter{h: sha256.New(), buf: (*scratch)[:0], leadingSystem: true}
	w.raw(keyPrefix)
	for i := range msgs {
		w.message(&msgs[i])
	}
	return w.hexSum()
}

// reminderOpen and reminderClose enclose the context agents weave into
// their users' messages and tool results (Claude Code's and Qwen Code's
// <system-reminder> blocks).
const (
	reminderOpen  = "<system-reminder>"
	reminderClose = "</system-reminder>"
)

// withoutReminders is text less its <system-reminder> blocks, each with the
// whitespace before it (what joined it to the text before, when it was a
// content part of its own), as keyed. An agent makes them afresh when it
// resumes a conversation — Qwen Code's `--continue` lists the working
// directory again (with the files the conversation wrote) and moves its
// date reminder to the new turn — so the history it resends differs from
// the one it sent only there, and must still find its session rather than
// open one per run. (A search by hand: a regular expression cost 12 ms per
// key of an agent's 100 KB history, on every call.)
func withoutReminders(text string) string {
	if !strings.Contains(text, reminderOpen) {
		return text
	}
	var b strings.Builder
	for {
		i := strings.Index(text, reminderOpen)
		if i < 0 {
			break
		}
		j := strings.Index(text[i:], reminderClose)
		if j < 0 {
			break // not closed: text like any other
		}
		b.WriteString(strings.TrimRightFunc(text[:i], unicode.IsSpace))
		text = text[i+j+len(reminderClose):]
	}
	b.WriteString(text)
	return b.String()
}

// unansweredKey hashes the whole conversation a call sent (history and new
// turn) into the key a session whose first turn failed is found by when
// the client sends that call again. Its own prefix keeps it apart from
// every Key.
func unansweredKey(msgs []qp.Message) string {
	return hashConversation(unansweredPrefix, msgs, nil)
}

// unansweredPrefix begins every unansweredKey's encoding.
const unansweredPrefix = "qwenproxy-unanswered-v1"

func hashConversation(prefix string, msgs []qp.Message, answer *qp.Message) string {
	scratch := scratchBuffers.Get().(*[]byte)
	defer scratchBuffers.Put(scratch)
	w := keyWriter{h: sha256.New(), buf: (*scratch)[:0]}
	w.raw(prefix)
	for i := range msgs {
		w.message(&msgs[i])
	}
	if answer != nil {
		w.message(answer)
	}
	return w.hexSum()
}

// Seen returns how many of msgs' first messages make up the conversation
// whose key, owned by owner, is key (a session's ConversationKey): the part
// of a resent history that the session's chat has seen. It is 0 when no
// prefix of msgs has that key.
func Seen(msgs []qp.Message, owner, key string) int {
	seen := 0
	eachPrefixKey(msgs, func(n int, k string) bool {
		if ownedKey(owner, k) == key {
			seen = n
			return false
		}
		return true
	})
	return seen
}

// seenMerged is Seen for a session's CutKey, the key of the history whose
// last answer runs a cut answer's part and its retried or resumed answer
// together (historyMergedKey): how many of msgs' first messages make up
// that history, looked for up to maxUnseenAnswers answers back; 0 when
// none does.
func seenMerged(msgs []qp.Message, owner, cutKey string) int {
	for _, a := range earlierAnswers(msgs, maxUnseenAnswers) {
		if merged := historyMergedKey(msgs[:a.n]); merged != "" && ownedKey(owner, merged) == cutKey {
			return a.n
		}
	}
	return 0
}

// earlierAnswer is a prefix of a resent history that ends with an assistant
// message: n messages, whose key is key.
type earlierAnswer struct {
	n   int
	key string
}

// earlierAnswers returns the keys of msgs' prefixes that end with an
// assistant message, msgs whole excepted, newest first, at most limit: where
// the chat's last answer may end in a history that resends turns the chat
// never got (a turn the client left before its answer, resent with the
// next one as its message and an empty or placeholder answer).
func earlierAnswers(msgs []qp.Message, limit int) []earlierAnswer {
	var out []earlierAnswer
	eachPrefixKey(msgs, func(n int, k string) bool {
		if n < len(msgs) && msgs[n-1].Role == "assistant" {
			out = append(out, earlierAnswer{n, k})
		}
		return true
	})
	slices.Reverse(out)
	return out[:min(len(out), limit)]
}

// eachPrefixKey calls f with the Key of each prefix of msgs (its first n
// messages), shortest first, until f returns false: one pass, each prefix's
// hash read on the way.
func eachPrefixKey(msgs []qp.Message, f func(n int, key string) bool) {
	eachPrefixHash(keyPrefix, msgs, f)
}

// eachPrefixHash is eachPrefixKey for the hashes that begin with prefix
// (keyPrefix, or unansweredKey's).
func eachPrefixHash(prefix string, msgs []qp.Message, f func(n int, key string) bool) {
	scratch := scratchBuffers.Get().(*[]byte)
	defer scratchBuffers.Put(scratch)
	w := keyWriter{h: sha256.New(), buf: (*scratch)[:0]}
	w.raw(prefix)
	for i := range msgs {
		w.message(&msgs[i])
		if !f(i+1, w.hexSum()) {
			return
		}
	}
}

// raw writes s (a key's prefix) into the hash as it is, through the
// scratch buffer: []byte(s) handed to the hash was an allocation.
func (w *keyWriter) raw(s string) {
	w.buf = append(w.buf[:0], s...)
	w.h.Write(w.buf)
	w.buf = w.buf[:0]
}

// hexSum is the hash of what was written so far, in hex. The digest goes
// into the scratch buffer (every field is written through it whole, so it
// holds nothing between fields) and its hex onto the stack: the string is
// the one allocation, where hex.EncodeToString(h.Sum(nil)) made three, for
// each of the keys a call computes.
func (w *keyWriter) hexSum() string {
	w.buf = w.h.Sum(w.buf[:0])
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], w.buf)
	w.buf = w.buf[:0]
	return string(out[:])
}

// scratchBuffers are the keyWriters' buffers, keyChunk bytes each: a call
// computes two keys, and an agent's long system prompt grew a fresh buffer
// to keyChunk for each.
var scratchBuffers = sync.Pool{New: func() any { b := make([]byte, 0, keyChunk); return &b }}

// keyWriter writes a conversation's fields into the hash through one
// scratch buffer: each field is its length (8 bytes, little-endian) and its
// bytes. A conversation resent whole on every call (a long system prompt,
// every earlier turn) then costs no allocation per field, and the buffer
// stays within keyChunk however long a message is.
type keyWriter struct {
	h   hash.Hash
	buf []byte
	// args and normal hold a tool call's arguments and their normal form
	// (see arguments), reused from call to call.
	args, normal []byte
	// leadingSystem keys the system messages before the conversation's
	// first other one, as earlier versions did (legacyKey); conversing is
	// set once that other one is written.
	leadingSystem, conversing bool
}

func (w *keyWriter) message(m *qp.Message) {
	if m.Role == "system" && (w.conversing || !w.leadingSystem) {
		return // the conversation's setting, which agents remake: see Key
	}
	w.conversing = w.conversing || m.Role != "system"
	w.field("m")
	w.field(m.Role)
	switch {
	case len(m.ToolCalls) > 0:
		w.field("") // the text beside tool calls: see Key
	case m.Role == "user" || m.Role == "tool":
		w.field(strings.TrimSpace(withoutReminders(m.Text)))
	default:
		w.field(strings.TrimSpace(m.Text))
	}
	w.field(m.ToolCallID)
	for _, tc := range m.ToolCalls {
		w.field("tc")
		w.field(tc.Name)
		w.arguments(tc.Arguments)
	}
}

// arguments writes a tool call's arguments: trimmed, and when they are JSON
// in its normal form with numbers as doubles (jsonscan.AppendNormalDoubles;
// other text as it is), because clients resend them re-encoded — Python's
// json.dumps spaces them and escapes non-ASCII, a streamed answer gives them
// as Qwen spaced them, JavaScript compacts them and reads every number as a
// double (1.0 comes back 1) — and each form must find the session the call
// came from. Keys stored before numbers were read so are unchanged where the
// numbers were written as Go writes a float64, as the proxy's own answers
// wrote them then. (The Messages and Responses APIs' arguments come
// compact: tools.CompactObject.)
func (w *keyWriter) arguments(args string) {
	w.args = append(w.args[:0], strings.TrimSpace(args)...)
	w.normal = jsonscan.AppendNormalDoubles(w.normal[:0], w.args)
	writeField(w, w.normal)
}

// keyChunk bounds the scratch buffer: a large field (a long message) is
// hashed through it a piece at a time, never copied whole.
const keyChunk = 32 << 10

func (w *keyWriter) field(s string) { writeField(w, s) }

// writeField is field for a string or bytes (a method cannot take both).
func writeField[S string | []byte](w *keyWriter, s S) {
	w.buf = binary.LittleEndian.AppendUint64(w.buf[:0], uint64(len(s)))
	for {
		k := min(len(s), keyChunk-len(w.buf))
		w.buf = append(w.buf, s[:k]...)
		s = s[k:]
		w.h.Write(w.buf)
		w.buf = w.buf[:0]
		if len(s) == 0 {
			return
		}
	}
}
