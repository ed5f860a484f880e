package openai

import "testing"

// A value of the wrong JSON type is refused naming the type the field takes:
// a fraction sent for an integer field (top_k, max_output_tokens) is told
// that an integer is wanted, not that "number" must be a number.
func TestDecodeTypeErrorsNameIntegerFields(t *testing.T) {
	var dst struct {
		TopK        *int     `json:"top_k"`
		Temperature *float64 `json:"temperature"`
		Stop        []string `json:"stop"`
		Stream      bool     `json:"stream"`
	}
	for body, want := range map[string]string{
		`{"top_k":1.5}`:         "top_k must be of type integer, not number 1.5",
		`{"top_k":"3"}`:         "top_k must be of type integer, not string",
		`{"temperature":"hot"}`: "temperature must be of type number, not string",
		`{"stop":"x"}`:          "stop must be of type array, not string",
		`{"stream":"yes"}`:      "stream must be of type boolean, not string",
	} {
		err := Decode([]byte(body), &dst)
		if err == nil {
			t.Errorf("%s: accepted", body)
			continue
		}
		if err.Message != want || err.Code != "invalid_type" {
			t.Errorf("%s: %s (%s), want %q", body, err.Message, err.Code, want)
		}
	}
}
