package tools

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"math"
	qp "qwenproxy"
	"regexp"
	"strconv"
	"strings"
)

// Call is one parsed function call: the core's ToolCall.
type Call = qp.ToolCall

// Parse splits a whole answer into its text and its calls. Blocks that do
// not name a declared tool, whose arguments cannot be read even after
// repair, or that the model quotes (in a code block, an inline code span or
// a blockquote) stay in the text unchanged.
func (s *Set) Parse(text string) (content string, calls []Call) {
	var out strings.Builder
	quote := newQuoteState()
	rest := text
	for {
		start, open, close := s.nextOpening(rest)
		if start < 0 {
			out.WriteString(rest)
			break
		}
		quote.feed(rest[:start])
		if quote.quoted() {
			out.WriteString(rest[:start+len(open)])
			quote.feed(open)
			rest = rest[start+len(open):]
			continue
		}
		inner := rest[start+len(open):]
		end, final := s.closeAt(inner, open, close, &stringScan{})
		if !final {
			end = strings.Index(inner, close) // broken JSON: its first closing tag
		}
		blockEnd := len(rest) // an unclosed block runs to the end
		if end >= 0 {
			blockEnd = start + len(open) + end + len(close)
		}
		if call, ok := s.parseBlock(rest[start:blockEnd], open, close); ok {
			out.WriteString(rest[:start])
			calls = append(calls, call)
		} else {
			out.WriteString(rest[:blockEnd])
			quote.feed(rest[start:blockEnd])
		}
		rest = rest[blockEnd:]
	}
	if len(calls) == 0 {
		return text, nil
	}
	return strings.TrimSpace(out.String()), calls
}

// nextOpening finds the earliest opening tag: <tool_call>, or <name> of a
// declared tool (the original proxy's XML form).
func (s *Set) nextOpening(text string) (at int, open, close string) {
	tags := s.xmlTags()
	for i := 0; ; i++ {
		j := strings.IndexByte(text[i:], '<')
		if j < 0 {
			return -1, "", ""
		}
		i += j
		rest := text[i:]
		if strings.HasPrefix(rest, openTag) {
			return i, openTag, closeTag
		}
		// No tool's name is longer than the longest: look no further for
		// the tag's end.
		if end := strings.IndexByte(rest[:min(len(rest), s.longest+2)], '>'); end > 1 {
			if tag, ok := tags[rest[1:end]]; ok {
				return i, tag.open, tag.close
			}
		}
	}
}

// closeAt is where the block whose text after its opening tag is inner
// ends: the index in inner of its closing tag, or -1 while it has none. In
// the JSON form a closing tag inside one of the JSON's strings ends nothing
// (the arguments of a call that writes a file about tool calls hold
// "</tool_call>"; sc reads the strings, as the text grows): the block ends
// at its first closing tag when that stands outside strings or what comes
// before it reads as a call; else at the first tag outside strings when
// what comes before that reads as a call; else, its JSON being broken, at
// its first tag, as any broken block, so that the blocks after it are
// read. final is false while that cannot be told yet: the first tag stands
// inside a string and none outside one (a stream waits for more text; a
// whole answer's block ends at its first tag).
func (s *Set) closeAt(inner, open, close string, sc *stringScan) (end int, final bool) {
	first := strings.Index(inner, close)
	if first < 0 || open != openTag {
		return first, first >= 0
	}
	outside := sc.next(inner, close)
	if first == outside {
		return first, true
	}
	if !sc.firstBroken {
		if _, ok := s.parseJSONCall(inner[:first]); ok {
			return first, true
		}
		sc.firstBroken = true // a stream asks again with more: once is enough
	}
	if outside < 0 {
		return first, false
	}
	if _, ok := s.parseJSONCall(inner[:outside]); ok {
		return outside, true
	}
	return first, true
}

// stringScan finds the first closing tag outside the strings of a block's
// JSON, as the repairs read strings: double- or single-quoted, a backslash
// escaping the character after it. It reads text as it grows: next goes
// on from where it stopped.
type stringScan struct {
	at     int  // bytes of the text read
	quote  byte // the open string's quote, or 0
	escape bool
	found  int // the tag's index, once found (+1: 0 is none yet)

	firstBroken bool // what comes before the first closing tag is no call
}

// next is the index of the first closing tag outside strings in text, of
// which the text given before is a prefix, or -1 if there is none yet.
func (sc *stringScan) next(text, close string) int {
	if sc.found > 0 {
		return sc.found - 1
	}
	for ; sc.at < len(text); sc.at++ {
		c := text[sc.at]
		switch {
		case sc.escape:
			sc.escape = false
		case sc.quote != 0 && c == '\\':
			sc.escape = true
		case sc.quote != 0:
			if c == sc.quote {
				sc.quote = 0
			}
		case c == '"' || c == '\'':
			sc.quote = c
		case c == '<':
			if strings.HasPrefix(text[sc.at:], close) {
				sc.found = sc.at + 1
				return sc.at
			}
			if strings.HasPrefix(close, text[sc.at:]) {
				return -1 // perhaps the tag, cut: read again with more
			}
		}
	}
	return -1
}

// parseBlock reads one block from its opening tag to its closing tag (or to
// the end of the answer). Only the <tool_call> form may be left unclosed:
// the XML form is too close to prose and listings to be guessed at.
func (s *Set) parseBlock(block, open, close string) (Call, bool) {
	closed := strings.HasSuffix(block[len(open):], close)
	inner := strings.TrimSuffix(block[len(open):], close)
	if open == openTag {
		return s.parseJSONCall(inner)
	}
	if !closed {
		return Call{}, false
	}
	name := strings.TrimSuffix(strings.TrimPrefix(open, "<"), ">")
	tool, _ := s.Lookup(name)
	args, ok := xmlArguments(inner, tool)
	if !ok && tool.Custom && !strings.Contains(inner, "<"+CustomParameter+">") {
		// A custom tool's input may stand in its block as the text
		// itself: that is what the tool takes.
		args, ok = CustomArguments(strings.Trim(inner, "\r\n")), true
	}
	if !ok {
		return Call{}, false
	}
	return asCustom(Call{ID: newCallID(), Name: name, Arguments: args}, tool), true
}

func (s *Set) parseJSONCall(inner string) (Call, bool) {
	var v struct {
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
		Params    json.RawMessage `json:"parameters"`
	}
	if !decodeLenient(inner, &v) {
		return Call{}, false
	}
	tool, ok := s.Lookup(v.Name)
	if !ok {
		return Call{}, false
	}
	args := v.Arguments
	if len(args) == 0 {
		args = v.Params
	}
	// Arguments given as a string holding JSON are unwrapped; a custom
	// tool's input given as the string itself is taken as it is.
	var asString string
	if json.Unmarshal(args, &asString) == nil {
		inner, ok := lenientJSON(asString)
		if !ok && tool.Custom {
			return asCustom(Call{ID: newCallID(), Name: v.Name, Arguments: CustomArguments(asString)}, tool), true
		}
		if !ok {
			return Call{}, false
		}
		args = inner
	}
	// The arguments go to the client's tool as the model wrote them, only
	// made compact: its keys in its order, its numbers with its digits.
	compact, ok := CompactObject(args)
	if !ok {
		return Call{}, false
	}
	return asCustom(Call{ID: newCallID(), Name: v.Name, Arguments: compact}, tool), true
}

// decodeNumbers is json.Unmarshal with each number kept as the model wrote
// it (a json.Number): a float64 rounds an id past 2^53 and rewrites 1.50 as
// 1.5, and arguments go to the client's tool as written.
func decodeNumbers(data []byte, dst any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(dst); err != nil {
		return err
	}
	if _, err := d.Token(); err != io.EOF {
		return errors.New("text after the JSON value")
	}
	return nil
}

// decodeLenient decodes JSON, repairing the slips models make: code fences,
// trailing commas, single quotes, raw newlines inside strings.
func decodeLenient(text string, dst any) bool {
	valid, ok := lenientJSON(text)
	return ok && decodeNumbers(valid, dst) == nil
}

// lenientJSON is text as one JSON value, after repairing the slips models
// make: code fences, trailing commas, single quotes, raw newlines inside
// strings. ok is false when even the repaired text is not JSON.
func lenientJSON(text string) (valid []byte, ok bool) {
	text = strings.TrimSpace(text)
	text = strings.TrimPrefix(strings.TrimPrefix(text, "```json"), "```")
	text = strings.TrimSpace(strings.TrimSuffix(text, "```"))
	if json.Valid([]byte(text)) {
		return []byte(text), true
	}
	repaired := []byte(repairJSON(text))
	return repaired, json.Valid(repaired)
}

var xmlOpen = regexp.MustCompile(`<([A-Za-z_][A-Za-z0-9_.-]*)>`)

// toolSchema is what the XML form (types, required) and the conversation
// key (defaults, see defaultsOf) need of a tool's JSON Schema.
type toolSchema struct {
	Properties map[string]struct {
		Type    string          `json:"type"`
		Default json.RawMessage `json:"default"`
	} `json:"properties"`
	Required []string `json:"required"`
}

// xmlArguments reads <param>value</param> children, typing each value by the
// tool's schema where it says number, integer, boolean, array or object.
// The block is a call only when it is made of parameters alone and each is
// one the schema declares: a listing such as
// <skill><name>…</name><description>…</description></skill> quoted from a
// system prompt is text, not a call of a tool named skill.
func xmlArguments(inner string, tool *Tool) (string, bool) {
	var schema toolSchema
	_ = json.Unmarshal(tool.Parameters, &schema)
	args := map[string]any{}
	// Each top-level <param> runs to its own closing tag, so values may hold
	// markup of their own.
	rest := inner
	for {
		loc := xmlOpen.FindStringSubmatchIndex(rest)
		if loc == nil {
			break
		}
		if strings.TrimSpace(rest[:loc[0]]) != "" {
			return "", false // prose between parameters: not a call
		}
		name := rest[loc[2]:loc[3]]
		prop, declared := schema.Properties[name]
		if !declared {
			return "", false
		}
		end := strings.Index(rest[loc[1]:], "</"+name+">")
		if end < 0 {
			return "", false
		}
		value := strings.Trim(rest[loc[1]:loc[1]+end], "\r\n")
		args[name] = typed(value, prop.Type)
		rest = rest[loc[1]+end+len(name)+3:]
	}
	if strings.TrimSpace(rest) != "" {
		return "", false // text that is not parameters: not a call
	}
	for _, r := range schema.Required {
		if _, ok := args[r]; !ok {
			return "", false // a call the tool could not run is a mention
		}
	}
	return string(marshal(args)), true
}

// marshal encodes arguments as the model wrote them: without escaping <, >
// and & (code is full of them).
func marshal(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // decoded JSON values: cannot fail
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func typed(value, typ string) any {
	v := strings.TrimSpace(value)
	switch typ {
	case "integer", "number":
		var n json.Number
		if decodeNumbers([]byte(v), &n) == nil {
			return n // as written
		}
		// Forms JSON lacks (+3, .5): their value; NaN and the infinities
		// have no JSON form and stay text.
		if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f
		}
	case "boolean":
		if b, err := strconv.ParseBool(v); err == nil {
			return b
		}
	case "array", "object":
		var x any
		if decodeLenient(v, &x) {
			return x
		}
	}
	return value
}

const idChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// newCallID makes an OpenAI-style call id.
func newCallID() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = idChars[int(b[i])%len(idChars)]
	}
	return "call_" + string(b[:])
}

// Minted reports whether id has the form of the ids newCallID makes: only
// such an id can name a call of one of the proxy's answers (a legacy
// function result's position-derived id, or a client's own, cannot).
func Minted(id string) bool {
	rest, ok := strings.CutPrefix(id, "call_")
	return ok && len(rest) == 24 && strings.Trim(rest, idChars) == ""
}

// CompactObject is raw, a JSON object, without the whitespace between its
// tokens: the form a parsed call's arguments take, its keys in their order
// and its numbers and strings as written. Nothing or null is {}; ok is false
// for anything but an object.
func CompactObject(raw []byte) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "{}", true
	}
	var compact bytes.Buffer
	if raw[0] != '{' || json.Compact(&compact, raw) != nil {
		return "", false
	}
	return compact.String(), true
}
