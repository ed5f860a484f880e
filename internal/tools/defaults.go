package tools

import (
	"bytes"
	"encoding/json"

	"qwenproxy/internal/jsonscan"
)

// WithoutDefaults returns a call of the declared tool name's arguments
// without the properties whose value is the default its schema gives them
// (a top-level property's "default"): what the model left out and what the
// client filled in then key alike. Claude Code resends its Edit call with
// "replace_all": false, the schema's default, where the model wrote none.
// Arguments that are not a JSON object, or have nothing to drop, come back
// as they are.
func (s *Set) WithoutDefaults(name, args string) string {
	defaults := s.defaultsOf(name)
	if len(defaults) == 0 {
		return args
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(args), &obj) != nil || obj == nil {
		return args
	}
	dropped := false
	for prop, def := range defaults {
		if v, ok := obj[prop]; ok && bytes.Equal(jsonscan.AppendNormalDoubles(nil, bytes.TrimSpace(v)), def) {
			delete(obj, prop)
			dropped = true
		}
	}
	if !dropped {
		return args
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return args
	}
	return string(b)
}

// defaultsOf returns the tool's top-level properties that have a default,
// each with the default in jsonscan's normal form: its schema is read once
// per set, the first time a call of it is keyed (nil for an undeclared tool).
func (s *Set) defaultsOf(name string) map[string][]byte {
	if s == nil {
		return nil
	}
	s.defaultsMu.Lock()
	defer s.defaultsMu.Unlock()
	if d, read := s.defaults[name]; read {
		return d
	}
	var d map[string][]byte
	if t, ok := s.Lookup(name); ok {
		var schema toolSchema
		_ = json.Unmarshal(t.Parameters, &schema) // validated: an object schema
		for prop, p := range schema.Properties {
			if len(p.Default) == 0 {
				continue
			}
			if d == nil {
				d = map[string][]byte{}
			}
			d[prop] = jsonscan.AppendNormalDoubles(nil, bytes.TrimSpace(p.Default))
		}
	}
	if s.defaults == nil {
		s.defaults = map[string]map[string][]byte{}
	}
	s.defaults[name] = d
	return d
}
