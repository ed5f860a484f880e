package openai

import (
	"encoding/json"
	"errors"
	"fmt"

	"qwenproxy/internal/typeerror"
)

// PartError is a content part with a field of the wrong JSON type: an
// image_url given as a string where Chat Completions takes an object
// ({"url": …}), or as an object where the Responses API takes a string.
type PartError struct {
	Index int    // the part's index in its array
	Field string // the field's path in the part, e.g. "image_url"
	Want  string // what it must be: "an object", "a string", …
	Got   string // the JSON type it was: "string", "object", …
}

func (e *PartError) Error() string {
	return fmt.Sprintf("part %d: %s must be %s, not %s", e.Index, e.Field, e.Want, e.Given())
}

// Given is the JSON type the field was, in words ("a string").
func (e *PartError) Given() string { return typeerror.Got(e.Got) }

// DecodeParts decodes an array of content parts. When a part has a field
// of the wrong JSON type it returns a PartError naming the part and the
// field: decoded as a whole, such an array failed as "must be a string or
// an array of content parts", which it was. Other failures (not an array)
// are returned as they are.
func DecodeParts[T any](raw []byte) ([]T, error) {
	var parts []T
	err := json.Unmarshal(raw, &parts)
	var ute *json.UnmarshalTypeError
	if err == nil || !errors.As(err, &ute) || ute.Field == "" {
		return parts, err
	}
	var elems []json.RawMessage
	if json.Unmarshal(raw, &elems) != nil {
		return parts, err
	}
	for i, elem := range elems {
		var one T
		if e := json.Unmarshal(elem, &one); errors.As(e, &ute) && ute.Field != "" {
			return nil, &PartError{Index: i, Field: ute.Field, Want: typeerror.Want(ute.Type), Got: ute.Value}
		}
	}
	return parts, err
}
