// Package structured emulates OpenAI's response_format (JSON mode and
// Structured Outputs) on Qwen's web API, which has neither: the format is
// stated in the instructions upstream, and the answer is checked — JSON that
// parses and, for a json_schema, validates against the schema. The caller
// gives a failing answer one corrective turn, then reports an error.
package structured

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"qwenproxy/internal/openai"
	"qwenproxy/internal/tools"
)

// Format is a response_format that asks for JSON.
type Format struct {
	Type        string // json_object or json_schema
	Name        string
	Description string
	schemaText  string             // compact schema, for the instructions
	schema      *jsonschema.Schema // nil: any JSON object
	// kind is what the schema's root is, for the instructions: "object",
	// "array", …, or "value" when its type is not one word.
	kind string
}

// FieldError is a bad response_format, for a 400 naming Param.
type FieldError struct{ Param, Message string }

func (e *FieldError) Error() string { return e.Param + " " + e.Message }

// Compile prepares rf (nil for plain text, which returns nil). Its error is
// the schema that does not compile. Schemas may not load anything: a $ref
// to a file or URL is refused, so a request cannot make the proxy read files.
func Compile(rf *openai.ResponseFormat) (*Format, *FieldError) {
	if rf == nil {
		return nil, nil
	}
	f := &Format{Type: rf.Type, Name: rf.Name, Description: rf.Description}
	if rf.Type != "json_schema" || rf.Schema == nil {
		return f, nil
	}
	param := cmp.Or(rf.SchemaParam, "response_format.json_schema.schema")
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(rf.Schema))
	if err != nil {
		return nil, &FieldError{Param: param, Message: "is not valid JSON: " + err.Error()}
	}
	const loc = "urn:qwenproxy:response_format"
	// The validator names the schema by loc, which the client never gave.
	unnamed := strings.NewReplacer(`"`+loc+`#`, `"#`, loc, "the schema")
	if f.schema, err = tools.CompileSchema(doc, loc); err != nil {
		return nil, &FieldError{Param: param, Message: "is not a valid JSON Schema: " + unnamed.Replace(tools.SchemaProblem(err))}
	}
	var compact bytes.Buffer
	_ = json.Compact(&compact, rf.Schema) // it parsed above
	f.schemaText = compact.String()
	f.kind = rootKind(doc)
	return f, nil
}

// rootKind is the kind of value a schema asks for at its root: its type
// when it names one ("object", "array", "string", …), "object" for an
// untyped schema of properties, else "value".
func rootKind(doc any) string {
	m, ok := doc.(map[string]any)
	if !ok {
		return "value"
	}
	if t, ok := m["type"].(string); ok && t != "" {
		return t
	}
	if _, ok := m["properties"]; ok && m["type"] == nil {
		return "object"
	}
	return "value"
}

// Instructions states the format to the model.
func (f *Format) Instructions() string {
	var b strings.Builder
	b.WriteString("# Answer format\n\nAnswer with one JSON value and nothing else: no prose before or after it, no code fence.")
	if f.schema == nil {
		b.WriteString(" The value must be a JSON object.")
		return b.String()
	}
	// Named as the schema's root is (an "array" schema's answer is no
	// object: told "object", a model answered one, which failed it).
	fmt.Fprintf(&b, " It must be a %q %s", f.Name, f.kind)
	if d := strings.TrimSpace(f.Description); d != "" {
		fmt.Fprintf(&b, " (%s)", d)
	}
	b.WriteString(" that validates against this JSON Schema:\n" + f.schemaText)
	return b.String()
}

// Correction asks again after an answer that broke the format.
func (f *Format) Correction(problem error) string {
	return fmt.Sprintf("Your previous answer was not what the answer format requires (%v). %s", problem, f.Instructions())
}

// ErrNoJSON is an answer with no JSON value in it.
var ErrNoJSON = errors.New("the answer holds no JSON value")

// Check returns the answer's JSON (the value itself, without a code fence or
// prose around it, which models add despite instructions) or why it does not
// meet the format.
func (f *Format) Check(answer string) (string, error) {
	text := extract(answer)
	if text == "" {
		return "", ErrNoJSON
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
	if err != nil {
		return "", fmt.Errorf("the answer is not valid JSON: %w", err)
	}
	if f.schema == nil {
		if _, ok := inst.(map[string]any); !ok {
			return "", errors.New("the answer is JSON but not an object")
		}
		return text, nil
	}
	if err := f.schema.Validate(inst); err != nil {
		return "", fmt.Errorf("the answer does not match the schema: %s", tools.ValueProblems(err))
	}
	return text, nil
}

// extract finds the JSON value in an answer: the whole text, else the
// inside of a code fence, else from the first '{' or '[' to the last
// matching bracket.
func extract(answer string) string {
	s := strings.TrimSpace(answer)
	if json.Valid([]byte(s)) {
		return s
	}
	if i := strings.Index(s, "```"); i >= 0 {
		rest := s[i+3:]
		if nl := strings.IndexByte(rest, '\n'); nl >= 0 {
			rest = rest[nl+1:]
		}
		if j := strings.Index(rest, "```"); j >= 0 {
			if inner := strings.TrimSpace(rest[:j]); json.Valid([]byte(inner)) {
				return inner
			}
		}
	}
	start := strings.IndexAny(s, "{[")
	if start < 0 {
		return ""
	}
	end := strings.LastIndexAny(s, "}]")
	if end < start {
		return s[start:]
	}
	return s[start : end+1]
}

// Started is the JSON an answer cut short had begun (it reached the
// client's limit of output tokens): from the first '{' or '[' — after a
// code fence's opening line when the answer has one — to the cut, as far as
// it came and not checked; "" when no JSON had begun. The prose and fence
// models put around JSON are not the answer, whole or cut.
func Started(answer string) string {
	s := answer
	if i := strings.Index(s, "```"); i >= 0 {
		rest := s[i+3:]
		if nl := strings.IndexByte(rest, '\n'); nl >= 0 {
			s = rest[nl+1:]
		} else {
			return "" // cut inside the fence's opening line
		}
	}
	start := strings.IndexAny(s, "{[")
	if start < 0 {
		return ""
	}
	s = s[start:]
	if j := strings.Index(s, "```"); j >= 0 {
		s = s[:j] // a fence closed before the cut
	}
	return strings.TrimRightFunc(s, unicode.IsSpace)
}
