// Package jsonedit replaces values inside a JSON document and leaves every
// other byte as it was: a recorded body whose secret or image is replaced
// keeps its keys' order and its spacing (decoding it into a tree and
// encoding it again sorted its keys and dropped its spaces).
package jsonedit

import (
	"encoding/json"

	"qwenproxy/internal/jsonscan"
)

// Object is one JSON object of the document, its members as they come.
type Object struct {
	names  []string
	values [][]byte
}

// String returns the decoded string value of the object's member name (the
// last one, as encoding/json keeps), or "" and false when it is absent or
// not a string.
func (o Object) String(name string) (string, bool) {
	for i := len(o.names) - 1; i >= 0; i-- {
		if o.names[i] == name {
			return jsonscan.StringValue(o.values[i])
		}
	}
	return "", false
}

// Editor decides the replacements. Member is asked about every object
// member (in obj, the object it belongs to): a replacement it returns, as
// raw JSON, takes the value's place; otherwise the value is walked. String
// is asked about every string value that no Member replaced, array elements
// and the document itself included. Either may be nil.
type Editor struct {
	Member func(obj Object, name string, value []byte) (replacement []byte, ok bool)
	String func(value []byte) (replacement []byte, ok bool)
}

// Rewrite returns doc with the editor's replacements, and whether it made
// any. A document that is not valid JSON is returned as it is.
func (e Editor) Rewrite(doc []byte) ([]byte, bool) {
	if !json.Valid(doc) {
		return doc, false
	}
	w := walker{doc: doc, e: e}
	w.value(jsonscan.SkipSpace(doc, 0))
	if len(w.edits) == 0 {
		return doc, false
	}
	out := make([]byte, 0, len(doc))
	at := 0
	for _, ed := range w.edits {
		out = append(append(out, doc[at:ed.start]...), ed.replacement...)
		at = ed.end
	}
	return append(out, doc[at:]...), true
}

type edit struct {
	start, end  int
	replacement []byte
}

// walker goes through a valid document, collecting edits in order.
type walker struct {
	doc   []byte
	e     Editor
	edits []edit
}

// value walks the value at i and returns where it ends.
func (w *walker) value(i int) int {
	switch w.doc[i] {
	case '{':
		return w.object(i)
	case '[':
		i = jsonscan.SkipSpace(w.doc, i+1)
		for w.doc[i] != ']' {
			i = jsonscan.SkipSpace(w.doc, w.value(i))
			if w.doc[i] == ',' {
				i = jsonscan.SkipSpace(w.doc, i+1)
			}
		}
		return i + 1
	case '"':
		end := jsonscan.StringEnd(w.doc, i+1) + 1
		if w.e.String != nil {
			if r, ok := w.e.String(w.doc[i:end]); ok {
				w.edits = append(w.edits, edit{i, end, r})
			}
		}
		return end
	}
	return jsonscan.ValueEnd(w.doc, i) // a number, true, false or null
}

// object walks the object at i: its members are found first, so that the
// editor sees each one beside the others.
func (w *walker) object(i int) int {
	var obj Object
	var starts []int
	i = jsonscan.SkipSpace(w.doc, i+1)
	for w.doc[i] != '}' {
		nameEnd := jsonscan.StringEnd(w.doc, i+1) + 1
		name, _ := jsonscan.StringValue(w.doc[i:nameEnd])
		i = jsonscan.SkipSpace(w.doc, nameEnd)  // the colon
		start := jsonscan.SkipSpace(w.doc, i+1) // the value
		end := jsonscan.ValueEnd(w.doc, start)
		obj.names, obj.values = append(obj.names, name), append(obj.values, w.doc[start:end])
		starts = append(starts, start)
		i = jsonscan.SkipSpace(w.doc, end)
		if w.doc[i] == ',' {
			i = jsonscan.SkipSpace(w.doc, i+1)
		}
	}
	for m, name := range obj.names {
		start, v := starts[m], obj.values[m]
		if w.e.Member != nil {
			if r, ok := w.e.Member(obj, name, v); ok {
				w.edits = append(w.edits, edit{start, start + len(v), r})
				continue
			}
		}
		w.value(start)
	}
	return i + 1
}
