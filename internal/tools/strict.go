package tools

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// ArgumentsError is a call of a strict function (OpenAI's strict: true,
// Anthropic's strict tool use) whose arguments do not validate against the
// function's parameters: what a client that declares a tool strict relies
// on never happening (the SDKs' parse helpers throw on it).
type ArgumentsError struct {
	Tool    string // the function called
	Problem string // where in the arguments, and what is wrong there
}

func (e *ArgumentsError) Error() string {
	return fmt.Sprintf("the arguments of the call of %s do not match its parameters: %s", e.Tool, e.Problem)
}

// HasStrict reports whether a tool of the set is declared strict: its calls'
// arguments are then checked (CheckStrict), so the answer is checked whole.
func (s *Set) HasStrict() bool {
	if s == nil {
		return false
	}
	for i := range s.Tools {
		if s.Tools[i].Strict {
			return true
		}
	}
	return false
}

// CheckStrict returns the first of calls whose tool is strict and whose
// arguments do not validate against the tool's parameters, or nil. A
// schema the validator cannot compile (a $ref it may not load) checks
// nothing: Schemas refused the ones that are not JSON Schemas.
func (s *Set) CheckStrict(calls []Call) *ArgumentsError {
	if !s.Active() {
		return nil
	}
	for _, c := range calls {
		t, ok := s.Lookup(c.Name)
		if !ok || !t.Strict || t.Custom || len(t.Parameters) == 0 || bytes.Equal(t.Parameters, []byte("null")) {
			continue
		}
		if problem := argumentsProblem(t.Parameters, c.Arguments); problem != "" {
			return &ArgumentsError{Tool: c.Name, Problem: problem}
		}
	}
	return nil
}

// ArgumentsCorrection asks the model again after a strict call's arguments
// broke its parameters.
func (s *Set) ArgumentsCorrection(e *ArgumentsError) string {
	return "Your previous answer did not follow the instructions: " + e.Error() + ". In this answer you must call the function " + e.Tool +
		" again, with arguments that validate against its JSON Schema. Reply only with the " + openTag + " block(s)."
}

// argumentsProblem validates arguments (a JSON object) against schema and
// says the first problem in one line, or "".
func argumentsProblem(schema []byte, arguments string) string {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return ""
	}
	compiled, err := CompileSchema(doc, "urn:qwenproxy:parameters")
	if err != nil {
		return ""
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(arguments))
	if err != nil {
		return "not valid JSON"
	}
	if err := compiled.Validate(inst); err != nil {
		return ValueProblems(err)
	}
	return ""
}

// CompileSchema compiles doc, a decoded JSON Schema, named loc (which the
// validator's errors name it by). It loads nothing else: a $ref to a file
// or URL is an error, so a request's schema cannot make the proxy read
// files or fetch URLs.
func CompileSchema(doc any, loc string) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.UseLoader(refuseLoads{})
	if err := c.AddResource(loc, doc); err != nil {
		return nil, err
	}
	return c.Compile(loc)
}

// refuseLoads is a schema loader that loads nothing.
type refuseLoads struct{}

func (refuseLoads) Load(url string) (any, error) {
	return nil, fmt.Errorf("the proxy loads no external schema (%s): give it under $defs", url)
}
