package redact

import (
	"strings"
	"testing"
)

// The values a call sent are masked however the text frames them, short
// cookies as their name=value pair.
func TestKnownMasksTheSecretsSentInAnyFraming(t *testing.T) {
	k := NewKnown("token=eyJa.b.c; acw_tc=SESSIONSECRET777; ssxmod_itna=Cookie/Secret+XYZ987=; cna=abc",
		"pass-word-1", "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8", "")
	for _, in := range []string{
		`{'acw_tc': 'SESSIONSECRET777', 'ssxmod_itna': 'Cookie/Secret+XYZ987=', 'cna': 'x'}`,
		`jar=<RequestsCookieJar[<Cookie acw_tc=SESSIONSECRET777 for chat.qwen.ai/>]>`,
		`{"itna":"Cookie\/Secret+XYZ987="}`,
		`itna=Cookie%2FSecret%2BXYZ987%3D`,
		`password pass-word-1 digest 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8`,
		`cookies cna=abc end`,
		`q=ssxmod_itna%3DCookie%2FSecret%2BXYZ987%3D%3B%20cna%3Dabc`, // the Cookie header URL-encoded
		`q=acw_tc%3DSESSIONSECRET777%3B+cna%3Dabc`,
	} {
		out := k.String(in)
		for _, secret := range []string{"SESSIONSECRET777", "XYZ987", "pass-word-1", "5e884898da", "cna=abc", "cna%3Dabc"} {
			if strings.Contains(out, secret) {
				t.Errorf("%q = %q: %s not masked", in, out, secret)
			}
		}
		if b := k.Bytes([]byte(in)); string(b) != out {
			t.Errorf("Bytes(%q) = %q, String %q", in, b, out)
		}
	}
	if out := k.String("cna=abc; the abc of it"); out != "cna=[REDACTED]; the abc of it" {
		t.Errorf("a short cookie: %q", out)
	}
	var none *Known
	if NewKnown("", "short") != nil || none.String("x") != "x" || string(none.Bytes([]byte("y"))) != "y" {
		t.Error("nothing to mask")
	}
}

// A value written in a JSON body in ASCII alone — each other character
// \u-escaped, as Python's json.dumps writes it (lower-case hex; a surrogate
// pair past the Basic Multilingual Plane) and .NET's System.Text.Json
// (upper case) — is masked as its characters are. Until 2026-12-06 such a
// body kept the value, the same value as characters masked.
func TestKnownMasksAValueEscapedToASCII(t *testing.T) {
	k := NewKnown("", "pässwörd-esc8", "key-😀-emoji")
	for _, in := range []string{
		`{"content":"use login with {\"password\": \"p\u00e4ssw\u00f6rd-esc8\"}"}`,
		`{"content":"p\u00E4ssw\u00F6rd-esc8"}`,
		`{"content":"key-\ud83d\ude00-emoji"}`,
		`{"content":"key-\uD83D\uDE00-emoji"}`,
	} {
		out := string(k.JSON([]byte(in)))
		if strings.Contains(out, "esc8") || strings.Contains(out, "emoji") || !strings.Contains(out, Placeholder) {
			t.Errorf("%s = %s: the value not masked", in, out)
		}
	}
	// A value in ASCII has no other form: one with the escapes of another
	// value's characters is that other value, and kept.
	if in := `{"content":"p\u00e5ssw\u00f6rd-esc8"}`; string(k.JSON([]byte(in))) != in {
		t.Errorf("another value masked: %s", k.JSON([]byte(in)))
	}
}
