package session

import (
	"bytes"
	"crypto/sha256"
	"encoding"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"strings"
	"unicode"

	qp "qwenproxy"
)

// A stream cut mid-answer leaves its client the part of the answer sent
// before the cut (the partial) and an error; the client asks again and is
// answered. Qwen Code keeps both: the history it resends next holds, as
// that turn's answer, the partial and the retried answer run together —
// the model turn in its history took the parts of both attempts, and its
// OpenAI converter joins a turn's text parts with nothing between them —,
// without the error. That history is not the one the retried answer keyed
// the session by, so it opened a new chat told the whole conversation.
//
// A turn that fails after part of its answer's text reached the client
// therefore leaves on its session (CutState) the conversation it sent and
// the partial, as the state of a SHA-256 digest of it (a few hundred bytes,
// whatever the partial's length): the retry of that conversation, answered,
// finishes the digest with its answer and gives the session a second key
// (CutKey), mergedKey of the history whose answer is the two run together.
// A history whose last answer is text alone is looked up by that key too
// when its own finds no session. The turns cut in a row before an answer
// add their partials, in order, to one digest.
//
// Qwen Code resumes a cut turn rather than asking it again (see Merged):
// the answer to its resume request gets the second key of the cut
// conversation with the part and that answer run together, less the start
// of the answer that repeats the part's end (resumedRest); an answer that
// calls tools, the key of the cut conversation with that answer (its text
// is not keyed). A resume cut
// in its turn adds to the digest what Qwen Code keeps of its partial, the
// part it resumes with next (see Cut).
//
// A client that keeps the retried answer alone finds the session by its
// key, as ever. One that keeps the partial alone, after a retry was
// answered, has a conversation the chat does not hold (the retry's answer
// is there): it is told to a new chat, as any history no session expects.
// Without a retry, such a history finds the session by the answer before
// the cut, the cut turn told as earlier conversation (see earlierAnswers).

// mergedPrefix begins mergedKey's encoding, apart from every other key's.
const mergedPrefix = "qwenproxy-merged-v1"

// mergedKey is the key of msgs followed by an assistant answer of text
// alone whose text, trimmed, has the SHA-256 digest sum.
func mergedKey(msgs []qp.Message, sum []byte) string {
	return hashConversation(mergedPrefix, msgs, &qp.Message{Role: "assistant", Text: hex.EncodeToString(sum)})
}

// historyMergedKey is mergedKey of a history whose last message is an
// answer of text alone (as a client resends an answer run together with a
// cut one's part), "" for any other history. An answer sent as text parts
// is their text run together, nothing between them (PartsRunTogether): a
// client that keeps the part and the answer as two parts of one message
// has them so in its history, as Anthropic's assistant text blocks are
// read.
func historyMergedKey(history []qp.Message) string {
	n := len(history)
	if n < 2 || history[n-1].Role != "assistant" || len(history[n-1].ToolCalls) > 0 {
		return ""
	}
	text := strings.TrimSpace(history[n-1].PartsRunTogether())
	if text == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(text))
	return mergedKey(history[:n-1], sum[:])
}

// cutStateVersion begins a CutState; its other fields follow, separated
// by spaces: the unansweredKey of the conversation the cut turns sent, and
// the digest's state in base64.
const cutStateVersion = "v1"

// Cut notes that the turn failed after partial, the start of its answer's
// text, reached its client, which sent the conversation sent (as keyed):
// should a retry of it be answered, the history that keeps partial and
// that answer run together finds the session too. Call it before
// TouchAfter, which writes it.
//
// A turn that resumes the cut conversation (see Merged) and is cut in its
// turn extends the cut's state rather than starting over: Qwen Code, whose
// resume is cut, resumes again (up to three times in a row) with the part
// it holds — the part it resumed and what follows it of this turn's
// partial (resumedRest), its mergeDeliveredParts — as the answer, and
// keeps in the end that part and the last resumed answer. The digest, of
// the cut conversation still, becomes that of the part as the client now
// holds it, so that the next resume is known by it, and its answer keyed
// as the client keeps it.
func (t *Turn) Cut(sent []qp.Message, partial string) {
	sentKey := unansweredKey(sent)
	h := sha256.New()
	key, state, ok := parseCutState(t.Session.CutState)
	held := ok && h.(encoding.BinaryUnmarshaler).UnmarshalBinary(state) == nil
	part, resumes := "", false
	if held && key != sentKey {
		part, resumes = resumedPart(sent, key, h)
	}
	switch {
	case held && key == sentKey:
		// A retry cut too: its partial follows the earlier ones.
	case resumes:
		// A resume cut too: the client holds its part and, after it, what
		// it keeps of this partial.
		sentKey, partial = key, resumedRest(part, partial)
	default:
		h.Reset()
		t.Session.CutState = ""
		// The key trims the answer: the whitespace before its first words
		// is not part of it.
		if partial = strings.TrimLeftFunc(partial, unicode.IsSpace); partial == "" {
			return
		}
	}
	h.Write([]byte(partial))
	state, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return
	}
	t.Session.CutState = cutStateVersion + " " + sentKey + " " + base64.RawStdEncoding.EncodeToString(state)
}

// Merged gives the turn, about to be answered with answer (as keyed) after
// msgs, the conversation it sent, the second key of its answer: when
// turns that sent msgs before it were cut (CutState), that of the history
// whose answer is their partials and answer run together; when msgs are a
// resume of the cut conversation — it, the part as the answer, and the
// request to go on —, that of the history whose answer is the part and
// what Qwen Code keeps of answer after it (resumedRest). Call it before
// Advance, which keeps the key ("" when there is none).
func (t *Turn) Merged(msgs []qp.Message, answer *qp.Message) {
	t.mergedKey = ""
	key, state, ok := parseCutState(t.Session.CutState)
	if !ok {
		return
	}
	h := sha256.New()
	if h.(encoding.BinaryUnmarshaler).UnmarshalBinary(state) != nil {
		return
	}
	if len(answer.ToolCalls) > 0 {
		// An answer that calls tools is keyed by its calls alone, whatever
		// text the client keeps beside them: asked again, it keys as it is;
		// resumed, it is the cut conversation's answer, the part and the
		// request to go on dropped.
		if _, resumes := resumedPart(msgs, key, h); resumes {
			t.mergedKey = Key(msgs[:len(msgs)-2], answer)
		}
		return
	}
	if key == unansweredKey(msgs) {
		// The cut turn asked again: the client got the partials, and the
		// answer whole.
		text := strings.TrimRightFunc(answer.Text, unicode.IsSpace)
		if text == "" {
			return
		}
		h.Write([]byte(text))
		t.mergedKey = mergedKey(msgs, h.Sum(nil))
		return
	}
	// Qwen Code does not ask the cut turn again: it resumes it, sending the
	// cut conversation, the part it got as the answer, and a message of its
	// own asking to go on ("The connection dropped mid-response. Resume
	// directly …"). It keeps, as the cut turn's answer, the part and what
	// follows it of this answer — the answer less a start that repeats the
	// part's end (resumedRest) —, and drops that message: the history is
	// the cut conversation's with that answer.
	part, resumes := resumedPart(msgs, key, h)
	if !resumes {
		return
	}
	kept := strings.TrimSpace(part + resumedRest(part, answer.Text))
	if kept == "" {
		return
	}
	sum := sha256.Sum256([]byte(kept))
	t.mergedKey = mergedKey(msgs[:len(msgs)-2], sum[:])
}

// resumedPart is, when msgs resume the conversation the cut turns sent
// (cutKey, its unansweredKey) — it, the part of the answer the client
// holds as the answer, and a message of the client's asking to go on —,
// that part. The part must be the one the cut state's digest h holds
// (trimmed of its leading whitespace, as the digest is): another is not
// the cut's, its client did not keep it. h is left as it was.
func resumedPart(msgs []qp.Message, cutKey string, h hash.Hash) (part string, ok bool) {
	n := len(msgs)
	if n < 3 || msgs[n-1].Role != "user" || msgs[n-2].Role != "assistant" || len(msgs[n-2].ToolCalls) > 0 ||
		cutKey != unansweredKey(msgs[:n-2]) {
		return "", false
	}
	part = msgs[n-2].PartsRunTogether()
	sum := sha256.Sum256([]byte(strings.TrimLeftFunc(part, unicode.IsSpace)))
	return part, bytes.Equal(sum[:], h.Sum(nil))
}

// parseCutState reads a CutState: the key of the conversation the cut turns
// sent and the digest's state.
func parseCutState(s string) (sentKey string, state []byte, ok bool) {
	version, rest, _ := strings.Cut(s, " ")
	sentKey, encoded, found := strings.Cut(rest, " ")
	if version != cutStateVersion || !found {
		return "", nil, false
	}
	state, err := base64.RawStdEncoding.DecodeString(encoded)
	return sentKey, state, err == nil
}
