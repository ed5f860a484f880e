package jsonscan

import "encoding/json"

// PathStep is one step down into a JSON value: into an array's element
// (Element, at Index) or an object's member (Name).
type PathStep struct {
	Name    string
	Index   int
	Element bool
}

// PathTo returns the steps from the top of the JSON text body down to the
// innermost value that holds offset after its first byte (start < offset ≤
// end): where encoding/json's UnmarshalTypeError.Offset points, just past
// the scalar that did not fit or just past the opening bracket of the
// object or array that did not. Its Field names no array index ("messages.role"
// for every message); this path has them. body must be valid JSON
// (json.Unmarshal checks that before it reports a type error); for an
// offset outside body's top-level value the path is empty.
func PathTo(body []byte, offset int) []PathStep {
	var path []PathStep
	start := SkipSpace(body, 0)
	end := ValueEnd(body, start)
	for end > start && offset > start && offset <= end {
		step, s, e, ok := childHolding(body[:end], start, offset)
		if !ok {
			break
		}
		path = append(path, step)
		start, end = s, e
	}
	return path
}

// childHolding finds, in the object or array that starts at b[start], the
// member or element whose value holds offset (as PathTo), with that value's
// bounds.
func childHolding(b []byte, start, offset int) (step PathStep, s, e int, ok bool) {
	if b[start] != '{' && b[start] != '[' {
		return PathStep{}, 0, 0, false
	}
	closing, object := byte(']'), b[start] == '{'
	if object {
		closing = '}'
	}
	i := SkipSpace(b, start+1)
	if i < len(b) && b[i] == closing {
		return PathStep{}, 0, 0, false
	}
	for n := 0; i >= 0 && i < len(b); n++ {
		step = PathStep{Index: n, Element: !object}
		if object {
			keyEnd := ValueEnd(b, i)
			if keyEnd < 0 || json.Unmarshal(b[i:keyEnd], &step.Name) != nil {
				return PathStep{}, 0, 0, false
			}
			i = SkipSpace(b, keyEnd)
			if i >= len(b) || b[i] != ':' {
				return PathStep{}, 0, 0, false
			}
			i = SkipSpace(b, i+1)
		}
		s, e = i, ValueEnd(b, i)
		if e <= s {
			return PathStep{}, 0, 0, false
		}
		if offset > s && offset <= e {
			return step, s, e, true
		}
		var last bool
		if i, last = afterValue(b, e, closing); last {
			break
		}
	}
	return PathStep{}, 0, 0, false
}
