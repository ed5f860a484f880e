package redact

import (
	"encoding/json"
	"strings"
	"testing"
)

// nested frames secret as a refusal may quote it: raw in prose, as a JSON
// string's content (the client's body quoted), and as the content of a JSON
// string inside a JSON string (a refusal, itself JSON, quoting that body in
// its details) — each in the envelope Qwen answers a failure with.
func nested(secret string) map[string]string {
	body, _ := json.Marshal(map[string]string{"password": secret, "note": "x"})
	envelope := func(details string) string {
		b, _ := json.Marshal(map[string]any{"success": false, "data": map[string]string{"code": "Bad_Request", "details": details}})
		return string(b)
	}
	return map[string]string{
		"raw":   "refused " + secret + " here",
		"once":  string(body),
		"twice": envelope("request: " + string(body)),
	}
}

// passwordOf reads the password out of what nested framed, masked: the
// body's member, or the one of the body quoted in the refusal's details.
func passwordOf(t *testing.T, form, masked string) string {
	t.Helper()
	var body map[string]string
	switch form {
	case "once":
		if err := json.Unmarshal([]byte(masked), &body); err != nil {
			t.Fatalf("%s: masked body is no longer JSON: %v\n%s", form, err, masked)
		}
	case "twice":
		var env struct{ Data struct{ Details string } }
		if err := json.Unmarshal([]byte(masked), &env); err != nil {
			t.Fatalf("%s: masked refusal is no longer JSON: %v\n%s", form, err, masked)
		}
		quoted, _ := strings.CutPrefix(env.Data.Details, "request: ")
		if err := json.Unmarshal([]byte(quoted), &body); err != nil {
			t.Fatalf("%s: the body the refusal quotes is no longer JSON: %v\n%s", form, err, masked)
		}
	}
	return body["password"]
}

// A secret holding a quote or a backslash reads differently at each depth
// of JSON it is quoted in: ab"c\d is ab\"c\\d in a body, ab\\\"c\\\\d in a
// refusal quoting that body. Each form is masked whole, never leaving a
// piece of the secret behind (until 2026-12-06 the twice-escaped form was
// kept by Known, and Text masked it up to its first escaped quote).
func TestKnownMasksASecretQuotedInJSONInsideJSON(t *testing.T) {
	for _, secret := range []string{`ab"c\d`, `pa"ss\word-1234`, `s3cr\et"-xyz`, `p\ä"ss/wörd-9`, `<tag>&"amp"`} {
		k := NewKnown("", secret)
		for form, in := range nested(secret) {
			out := string(k.Bytes([]byte(in)))
			if !strings.Contains(out, Placeholder) {
				t.Errorf("%q, %s: not masked: %s", secret, form, out)
				continue
			}
			if form == "raw" {
				if out != "refused "+Placeholder+" here" {
					t.Errorf("%q, raw: %s", secret, out)
				}
				continue
			}
			if got := passwordOf(t, form, out); got != Placeholder {
				t.Errorf("%q, %s: the password reads %q after masking: %s", secret, form, got, out)
			}
			if s := string(k.JSON([]byte(in))); s != out {
				t.Errorf("%q, %s: JSON %s, Bytes %s", secret, form, s, out)
			}
		}
	}
}

// Text masks the value of a secret's pair in a JSON body quoted inside a
// JSON string whole, escaped quotes and backslashes included: no piece of
// the value is left after the placeholder.
func TestTextMasksAPairsValueInJSONInsideJSONWhole(t *testing.T) {
	for _, secret := range []string{`ab"c\d`, `pa"ss\word-1234`, `s3cr\et"-xyz`, `ends\`, `"`, "new\nline\u0001<&>"} {
		in := nested(secret)["twice"]
		out := Text(in)
		if got := passwordOf(t, "twice", out); got != Placeholder {
			t.Errorf("%q: the password reads %q after Text: %s", secret, got, out)
		}
	}
	// The body quoted, and the refusal written, by a writer that escapes
	// slashes (PHP's): a\\\/b.
	in, _ := json.Marshal(map[string]any{"data": map[string]string{"details": `request: {"password":"a\/b\"c\\d-1234"}`}})
	out := Text(strings.ReplaceAll(string(in), "/", `\/`))
	if got := passwordOf(t, "twice", out); got != Placeholder {
		t.Errorf("slashes escaped: the password reads %q after Text: %s", got, out)
	}
}

// FuzzKnownMasksEveryQuotingOfASecret: whatever a secret holds, Known
// masks it raw, in a JSON body and in a refusal quoting that body, leaving
// the JSON readable and no piece of the secret in the member that held
// it.
func FuzzKnownMasksEveryQuotingOfASecret(f *testing.F) {
	for _, s := range []string{`ab"c\d`, `pa"ss\word-1234`, `\\\\\\`, `"""""""`, "tab\there\n", `ä"\u00e4`, "abc/def", "passwo"} {
		f.Add(s)
	}
	frames := nested("\x00")
	f.Fuzz(func(t *testing.T, secret string) {
		if len(secret) < MinKnownLen {
			return
		}
		k := NewKnown("", secret)
		for form, in := range nested(secret) {
			if k.In([]byte(frames[form])) {
				continue // the secret is a piece of the frame ("passwo"): masked there too
			}
			out := string(k.Bytes([]byte(in)))
			if form == "raw" {
				if strings.Contains(out, secret) {
					t.Fatalf("%q raw: kept: %s", secret, out)
				}
				continue
			}
			if got := passwordOf(t, form, out); got != Placeholder {
				t.Fatalf("%q, %s: the password reads %q after masking: %s", secret, form, got, out)
			}
		}
	})
}

// FuzzTextMasksAPairInJSONInsideJSONWhole: a secret member's value made of
// the characters JSON escapes (and a few others), in a body a refusal
// quotes in its JSON — written by encoding/json, or by a writer that also
// escapes slashes — is masked whole by Text.
func FuzzTextMasksAPairInJSONInsideJSONWhole(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3}, false)
	f.Add([]byte{1, 1, 2, 0, 5}, true)
	const alphabet = "\"\\/a1\n<ä"
	f.Fuzz(func(t *testing.T, picks []byte, slashes bool) {
		var b strings.Builder
		for _, p := range picks {
			b.WriteString(string([]rune(alphabet)[int(p)%len([]rune(alphabet))]))
		}
		in := nested(b.String())["twice"]
		if slashes {
			in = strings.ReplaceAll(in, "/", `\/`)
		}
		out := Text(in)
		if got := passwordOf(t, "twice", out); got != Placeholder {
			t.Fatalf("%q: the password reads %q after Text: %s", b.String(), got, out)
		}
	})
}
