package redact

import (
	"strings"
	"testing"
)

func TestSecretsAreRedactedAtAnyDepth(t *testing.T) {
	in := `{"model":"m","api_key":"sk-1","messages":[{"role":"user","content":"my token is fine to say"}],"metadata":{"Authorization":"Bearer x","nested":{"password":"hunter2","client_secret":"s"}},"max_tokens":5}`
	out := string(JSON([]byte(in)))
	for _, secret := range []string{"sk-1", "Bearer x", "hunter2", `"s"`} {
		if strings.Contains(out, secret) {
			t.Fatalf("%s left in %s", secret, out)
		}
	}
	// Names that merely contain a secret's word (max_tokens) are kept.
	for _, kept := range []string{`"content":"my token is fine to say"`, `"model":"m"`, `"max_tokens":5`} {
		if !strings.Contains(out, kept) {
			t.Fatalf("%s lost in %s", kept, out)
		}
	}
}

func TestBodiesWithoutSecretsAreUntouched(t *testing.T) {
	for _, in := range []string{`{"messages":[{"role":"user","content":"hi"}]}`, `not json but a key`, ``} {
		if out := string(JSON([]byte(in))); out != in {
			t.Fatalf("%q became %q", in, out)
		}
	}
}
