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
		if v, ok := obj[prop]; ok && bytes.Equal(jsonscan.AppendNormal(nil, bytes.TrimSpace(v)), def) {
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
// each with the default in jsonscan's normal form; read once per set.
func (s *Set) defaultsOf(name string) map[string][]byte {
	if s == nil {
		return nil
	}
	s.defaultsOnce.Do(func() {
		s.defaults = map[string]map[string][]byte{}
		for _, t := range s.Tools {
			var schema struct {
				Properties map[string]struct {
					Default json.RawMessage `json:"default"`
				} `json:"properties"`
			}
			if json.Unmarshal(t.Parameters, &schema) != nil {
				continue
			}
			for prop, p := range schema.Properties {
				if len(p.Default) == 0 {
					continue
				}
				if s.defaults[t.Name] == nil {
					s.defaults[t.Name] = map[string][]byte{}
				}
				s.defaults[t.Name][prop] = jsonscan.AppendNormal(nil, bytes.TrimSpace(p.Default))
			}
		}
	})
	return s.defaults[name]
}
