package redact

import (
	"encoding/json"
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

// Issue 13, item 7: names are matched after normalising case and
// separators; the names that must stay are a table of their own.
var secretNames = []string{
	"api_key", "apiKey", "API-KEY", "x-api-key", "api key", "key", "access_token", "accessToken", "clientSecret",
	"client_secret", "refreshToken", "refresh_token", "privateKey", "sessionToken", "secretKey", "apiToken", "bearerToken",
	"setCookie", "Set-Cookie", "cookie", "cookies", "auth", "Authorization", "proxy-authorization", "pass", "password",
	"passwd", "passphrase", "bearer", "secret", "credentials", "bx-umidtoken", "token", "id_token", "csrftoken", "AWSSecretKey",
	"api_keys", "apiKeys", "private_keys", "sshKeys", "secrets", "passwords", "client_secrets", "db_passwd", "userPasswd",
}

var keptNames = []string{
	"prompt_cache_key", "promptCacheKey", "max_tokens", "max_completion_tokens", "tokens", "total_tokens", "keywords",
	"monkey", "tokenizer", "author", "oauth_provider", "passage", "key_count", "token_count", "model", "messages",
	"idempotency_key", "bypass", "secrets_manager_region", "keys", "sort_keys", "required_keys", "",
	// A working directory ($PWD, a shell tool's "pwd") and a PIN's many
	// other meanings (a pinned version, a map's pin): masking their values
	// would mask those paths and words wherever else the record holds them.
	"pwd", "PWD", "pin",
}

func TestSecretNamesTable(t *testing.T) {
	for _, name := range secretNames {
		if !SecretName(name) {
			t.Errorf("%q is a secret's name", name)
		}
		body := `{"` + name + `":"s3cr3t-value","model":"m"}`
		if out := string(JSON([]byte(body))); strings.Contains(out, "s3cr3t-value") {
			t.Errorf("%q stored in clear: %s", name, out)
		}
	}
	for _, name := range keptNames {
		if SecretName(name) {
			t.Errorf("%q is not a secret's name", name)
		}
		body := `{"` + name + `":"kept-value","other":"x"}`
		if out := string(JSON([]byte(body))); !strings.Contains(out, "kept-value") {
			t.Errorf("%q redacted: %s", name, out)
		}
	}
}

// respell writes words with separators and case chosen by style.
func respell(words []string, style []byte) string {
	var b strings.Builder
	for i, w := range words {
		s := byte(0)
		if i < len(style) {
			s = style[i]
		}
		if i > 0 {
			b.WriteString([]string{"_", "-", ".", " ", ""}[s%5])
		}
		switch {
		case s%5 == 4: // camelCase
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		case s&8 != 0:
			b.WriteString(strings.ToUpper(w))
		default:
			b.WriteString(w)
		}
	}
	return b.String()
}

// FuzzSecretNames respells names of both tables with any separators and
// case: a secret stays a secret, a kept name stays kept, and the redacted
// body is still JSON without the secret's value.
func FuzzSecretNames(f *testing.F) {
	f.Add(uint8(0), []byte{4, 4}, "x")
	f.Add(uint8(3), []byte{8, 1}, "y")
	f.Fuzz(func(t *testing.T, pick uint8, style []byte, value string) {
		spelled := [][]string{{"access", "token"}, {"client", "secret"}, {"private", "key"}, {"api", "key"}, {"set", "cookie"},
			{"refresh", "token"}, {"bearer"}, {"password"}, {"session", "token"}}
		kept := [][]string{{"prompt", "cache", "key"}, {"max", "tokens"}, {"keywords"}, {"total", "tokens"}}
		all := append(spelled, kept...)
		words := all[int(pick)%len(all)]
		name := respell(words, style)
		secret := int(pick)%len(all) < len(spelled)
		if SecretName(name) != secret {
			t.Fatalf("SecretName(%q) = %v, want %v", name, !secret, secret)
		}
		body, _ := json.Marshal(map[string]string{name: "v-" + value})
		var sent map[string]any // as JSON carries it (invalid UTF-8 replaced)
		json.Unmarshal(body, &sent)
		out := JSON(body)
		var back map[string]any
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("redacted body is not JSON: %s", out)
		}
		// A kept name's value changes only as its URLs' passwords do.
		urls, _ := URLPasswords(body)
		var unnamed map[string]any
		json.Unmarshal(urls, &unnamed)
		if secret && back[name] != Placeholder || !secret && back[name] != unnamed[name] {
			t.Fatalf("%q: %v", name, back[name])
		}
	})
}

// The screen that spares a large body the full parse never hides a key:
// escaped names, keys after values holding quotes and colons, deep ones.
func TestTheKeyScreenFindsEveryKey(t *testing.T) {
	for _, body := range []string{
		`{"api\u005fkey":"s3cr3t-value"}`,
		`{"note":"a \"quoted\": text","password":"s3cr3t-value"}`,
		`{"content":"my token: x","nested":[{"deep":{"x":1,"accessToken":"s3cr3t-value"}}]}`,
		`{"a\\":"b","secret" : "s3cr3t-value"}`,
	} {
		if out := string(JSON([]byte(body))); strings.Contains(out, "s3cr3t-value") {
			t.Errorf("%s stored as %s", body, out)
		}
	}
	big := []byte(`{"messages":[{"role":"user","content":"` + strings.Repeat("my token is here ", 1000) + `"}]}`)
	if out := JSON(big); &out[0] != &big[0] {
		t.Error("a body without secret names was decoded and encoded again")
	}
}

// A redacted body keeps every byte but the secrets' values: its keys'
// order, its spacing, its "<" and "&" (it was decoded into a tree and
// encoded again: keys sorted, spaces dropped).
func TestRedactionChangesOnlyTheSecrets(t *testing.T) {
	in := "{\"model\": \"m\",\n \"metadata\": {\"session_token\": \"abc\", \"note\": \"a <b> & c\"}, \"api_key\": 12}"
	want := "{\"model\": \"m\",\n \"metadata\": {\"session_token\": \"[REDACTED]\", \"note\": \"a <b> & c\"}, \"api_key\": \"[REDACTED]\"}"
	if out := string(JSON([]byte(in))); out != want {
		t.Fatalf("got  %s\nwant %s", out, want)
	}
}
