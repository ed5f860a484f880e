package tools

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// maxKnownBytes bounds the schema text Schemas remembers as valid: an
// agent's tools are a few to a few hundred KB, resent on every call.
const maxKnownBytes = 8 << 20

// metaSchemas are the meta-schemas a tool's $schema may name (the library
// carries them; nothing is fetched).
var metaSchemas = map[string]bool{
	"http://json-schema.org/draft-04/schema":       true,
	"http://json-schema.org/draft-06/schema":       true,
	"http://json-schema.org/draft-07/schema":       true,
	"https://json-schema.org/draft/2019-09/schema": true,
	"https://json-schema.org/draft/2020-12/schema": true,
}

// unlabelled are the drafts a schema naming none of metaSchemas (or no
// $schema) is tried against: it passes when any takes it, 2020-12's problem
// being the one told otherwise. Agents send unlabelled draft-07 (tuple
// items) and draft-04 (boolean exclusiveMinimum) schemas alike.
var unlabelled = []string{
	"https://json-schema.org/draft/2020-12/schema",
	"http://json-schema.org/draft-07/schema",
	"http://json-schema.org/draft-04/schema",
}

// Schemas checks declared tools' parameter schemas the way OpenAI's API
// does (400 invalid_function_parameters, "Invalid schema for function
// 'name': …"): each must be a JSON Schema, valid against its meta-schema, so
// that a schema sent wrong ("type": 5, "required": "a") is refused before
// Qwen is asked instead of being described to the model. Only the schema's
// own shape is checked: references are not followed and nothing is loaded.
//
// The schemas found valid are remembered by their bytes (up to 8 MiB of
// text, then all forgotten at once), so that an agent's tools, resent on
// every call, are checked on the first. Safe for concurrent use.
type Schemas struct {
	mu    sync.Mutex
	metas map[string]*jsonschema.Schema // compiled meta-schemas, by URL
	known map[string]struct{}           // schemas found valid
	size  int                           // bytes of known's keys
}

// NewSchemas returns an empty checker.
func NewSchemas() *Schemas {
	return &Schemas{metas: map[string]*jsonschema.Schema{}, known: map[string]struct{}{}}
}

// Check returns the first tool of set whose parameters are not a valid JSON
// Schema, as a FieldError naming the request field the tool was declared in
// (Tool.Param) and saying what is wrong; nil when all are valid or absent.
func (s *Schemas) Check(set *Set) *FieldError {
	if set == nil {
		return nil
	}
	for i := range set.Tools {
		t := &set.Tools[i]
		if len(t.Parameters) == 0 || bytes.Equal(t.Parameters, []byte("null")) {
			continue
		}
		if err := s.check(t.Parameters); err != nil {
			return &FieldError{Param: cmp.Or(t.Param, "parameters"), Message: fmt.Sprintf("Invalid schema for function '%s': %s", t.Name, err)}
		}
	}
	return nil
}

// check validates one schema against its meta-schema, unless it was found
// valid before.
func (s *Schemas) check(schema []byte) error {
	s.mu.Lock()
	_, ok := s.known[string(schema)]
	s.mu.Unlock()
	if ok {
		return nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return fmt.Errorf("not valid JSON: %w", err)
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return fmt.Errorf("a JSON Schema object is required, not %s", jsonKind(doc))
	}
	if err := s.validate(doc, draftsNamed(obj["$schema"])); err != nil {
		return err
	}
	// A function's arguments are an object (OpenAI and Anthropic refuse
	// any other top-level type), and the model is told to write one.
	if t, ok := obj["type"]; ok && !allowsObject(t) {
		return fmt.Errorf("schema must be a JSON Schema of 'type: \"object\"', got 'type: %s'", compactJSON(t))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.size+len(schema) > maxKnownBytes {
		clear(s.known)
		s.size = 0
	}
	if len(schema) <= maxKnownBytes {
		s.known[string(schema)] = struct{}{}
		s.size += len(schema)
	}
	return nil
}

// allowsObject reports whether a schema's "type" admits an object: "object",
// or a list of types naming it.
func allowsObject(t any) bool {
	switch t := t.(type) {
	case string:
		return t == "object"
	case []any:
		for _, e := range t {
			if e == "object" {
				return true
			}
		}
	}
	return false
}

// jsonKind names a decoded JSON value's type.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return "a number"
}

// compactJSON is a decoded value written back as JSON, for messages.
func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// draftsNamed are the meta-schemas a schema is checked against: the one its
// $schema names, in either scheme (schemas in the wild write https for the
// older drafts), else every unlabelled one.
func draftsNamed(named any) []string {
	if name, ok := named.(string); ok {
		name = strings.TrimSuffix(name, "#")
		for _, u := range []string{name, strings.Replace(name, "https://", "http://", 1), strings.Replace(name, "http://", "https://", 1)} {
			if metaSchemas[u] {
				return []string{u}
			}
		}
	}
	return unlabelled
}

// validate passes doc when one of the drafts takes it, else says the first
// draft's problem.
func (s *Schemas) validate(doc any, drafts []string) error {
	var first error
	for _, url := range drafts {
		meta, err := s.meta(url)
		if err != nil {
			return err
		}
		err = meta.Validate(doc)
		if err == nil {
			return nil
		}
		if first == nil {
			first = errors.New(SchemaProblem(err))
		}
	}
	return first
}

// meta returns a compiled meta-schema.
func (s *Schemas) meta(url string) (*jsonschema.Schema, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.metas[url]; ok {
		return m, nil
	}
	m, err := jsonschema.NewCompiler().Compile(url)
	if err != nil { // the library carries every meta-schema above
		return nil, fmt.Errorf("meta-schema %s: %w", url, err)
	}
	s.metas[url] = m
	return m, nil
}

// SchemaProblem is the deepest leaf of a schema's validation error tree
// against its meta-schema (the first of the deepest), in one line: where
// in the schema, and what is wrong there ("at '/properties/path/type':
// value must be one of 'array', …"), or the whole report in one line when
// it has no tree. The library's own report is many lines, naming the
// meta-schema's URLs and every branch tried.
func SchemaProblem(err error) string {
	var compiled *jsonschema.SchemaValidationError // a compiler's, which does not unwrap
	if errors.As(err, &compiled) {
		err = compiled.Err
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return strings.Join(strings.Fields(err.Error()), " ")
	}
	leaf := deepestLeaf(ve)
	return fmt.Sprintf("at '%s': %s", pointer(leaf.InstanceLocation), leaf.ErrorKind.LocalizedString(message.NewPrinter(language.English)))
}

// maxProblemsText bounds ValueProblems' report.
const maxProblemsText = 500

// ValueProblems is what a value's validation against a schema found, in one
// line: each leaf of the error tree, where in the value and what ("at '/':
// missing property 'b'; at '/a': got number, want string"), at most
// maxProblemsText bytes; or the report in one line when it has no tree.
// Unlike SchemaProblem it names every problem: the model corrects them all
// at once.
func ValueProblems(err error) string {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return strings.Join(strings.Fields(err.Error()), " ")
	}
	var out []string
	say := message.NewPrinter(language.English)
	var walk func(*jsonschema.ValidationError)
	walk = func(v *jsonschema.ValidationError) {
		if len(v.Causes) == 0 {
			line := fmt.Sprintf("at '%s': %s", pointer(v.InstanceLocation), v.ErrorKind.LocalizedString(say))
			if !slices.Contains(out, line) {
				out = append(out, line)
			}
			return
		}
		for _, c := range v.Causes {
			walk(c)
		}
	}
	walk(ve)
	s := strings.Join(out, "; ")
	if len(s) > maxProblemsText {
		cut := maxProblemsText
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// pointer writes a location as a JSON Pointer (RFC 6901): a property named
// "a/b" is a~1b, so that it cannot be read as a nested b.
func pointer(tokens []string) string {
	var b strings.Builder
	escape := strings.NewReplacer("~", "~0", "/", "~1")
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escape.Replace(t))
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

// deepestLeaf is the leaf of ve's tree deepest in the schema; among leaves
// as deep, the first that is not a wrong alternative's type or enum (the
// meta-schema's anyOf reports every branch: for "type": ["string",
// "string"], that the value is not one name, and that its items repeat).
func deepestLeaf(ve *jsonschema.ValidationError) *jsonschema.ValidationError {
	if len(ve.Causes) == 0 {
		return ve
	}
	var best *jsonschema.ValidationError
	for _, c := range ve.Causes {
		l := deepestLeaf(c)
		switch {
		case best == nil, len(l.InstanceLocation) > len(best.InstanceLocation):
			best = l
		case len(l.InstanceLocation) == len(best.InstanceLocation) && branchMiss(best) && !branchMiss(l):
			best = l
		}
	}
	return best
}

// branchMiss reports whether a leaf says only that the value is of another
// type or value than an alternative wants.
func branchMiss(ve *jsonschema.ValidationError) bool {
	switch ve.ErrorKind.(type) {
	case *kind.Type, *kind.Enum:
		return true
	}
	return false
}
