package redact

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// A URL's user info loses its password wherever a text holds the URL — a
// connection string pasted in a message, a DSN in a tool's arguments —
// and keeps everything else: the scheme, the user, the host, what follows.
// A password with an @ in it (written so, unescaped) goes to the last @ of
// the authority; a URL without a password, an address, a port, an @ in a
// path or a query are left as they are.
func TestURLPasswordsMasksThePasswordOfAURLsUserInfo(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		hidden   []string
	}{
		{"postgres://u:PASS@h/db", "postgres://u:[REDACTED]@h/db", []string{"PASS"}},
		{"clone https://user:token123@host/o/r.git then", "clone https://user:[REDACTED]@host/o/r.git then", []string{"token123"}},
		{"mysql://root:pw@localhost:3306/app?x=1", "mysql://root:[REDACTED]@localhost:3306/app?x=1", []string{"pw"}},
		{"redis://:s3cret@cache:6379/0", "redis://:[REDACTED]@cache:6379/0", []string{"s3cret"}},
		{"mongodb+srv://admin:p@ss@cluster0.example.net/db", "mongodb+srv://admin:[REDACTED]@cluster0.example.net/db", []string{"p@ss"}},
		{"amqp://guest:guest@rabbit", "amqp://guest:[REDACTED]@rabbit", []string{"guest"}},
		{"DSN='postgres://a:b@h' and DSN2=postgres://c:d@h2?sslmode=disable",
			"DSN='postgres://a:[REDACTED]@h' and DSN2=postgres://c:[REDACTED]@h2?sslmode=disable", []string{"b", "d"}},
		{"http://u:p@[::1]:8080/x", "http://u:[REDACTED]@[::1]:8080/x", []string{"p"}},
		{"postgres://u:p%40ss@h/db", "postgres://u:[REDACTED]@h/db", []string{"p%40ss"}},
		// As JSON writes it: slashes escaped (PHP), a quote ending the string,
		// an & escaped (Go), a DSN inside arguments inside a string.
		{`{"c":"https:\/\/u:tok-1@h\/x"}`, `{"c":"https:\/\/u:[REDACTED]@h\/x"}`, []string{"tok-1"}},
		{`{"c":"mysql://root:pw@db"}`, `{"c":"mysql://root:[REDACTED]@db"}`, []string{"pw"}},
		{`{"c":"x://u:a\u0026b@h"}`, `{"c":"x://u:[REDACTED]@h"}`, []string{"a&b"}},
		{`{"arguments":"{\"dsn\":\"postgres://u:pa\\u0026ss@h\"}"}`, `{"arguments":"{\"dsn\":\"postgres://u:[REDACTED]@h\"}"}`, []string{`pa\u0026ss`}},
		// Pasted raw, with a / ? # or space RFC 3986 wants escaped: the
		// password runs to the last @ before the host (a / ? # in the
		// URL's host's place would end its authority before the @).
		{"postgres://u:pa/ss@h/db", "postgres://u:[REDACTED]@h/db", []string{"pa/ss"}},
		{"mysql://u:p?ss@h", "mysql://u:[REDACTED]@h", []string{"p?ss"}},
		{"redis://:p#ss@h:6379/0", "redis://:[REDACTED]@h:6379/0", []string{"p#ss"}},
		{"postgres://u:pa ss@h/db", "postgres://u:[REDACTED]@h/db", []string{"pa ss"}},
		{"DSN=postgres://u:correct horse battery@db:5432/app", "DSN=postgres://u:[REDACTED]@db:5432/app", []string{"correct horse battery"}},
		{"x://u:a/b@c@d/e", "x://u:[REDACTED]@d/e", []string{"a/b@c"}},
		{"postgres://u:pa/ss@@h", "postgres://u:[REDACTED]@h", []string{"pa/ss@"}},
		{"https://user:t/k?n#1@git.example.com/o/r.git", "https://user:[REDACTED]@git.example.com/o/r.git", []string{"t/k?n#1"}},
		{"https://u:p/q@[::1]:8080/x", "https://u:[REDACTED]@[::1]:8080/x", []string{"p/q"}},
		{`{"c":"postgres:\/\/u:pa\/ss@h\/db"}`, `{"c":"postgres:\/\/u:[REDACTED]@h\/db"}`, []string{"pa/ss"}},
		{`{"c":"mysql://u:p?s\u0026s@h/x"}`, `{"c":"mysql://u:[REDACTED]@h/x"}`, []string{"p?s&s"}},
		// Left as they are.
		{"https://example.com:8080/x", "https://example.com:8080/x", nil},
		{"https://example.com/a?b=c@d", "https://example.com/a?b=c@d", nil},
		{"http://host:8080/a?x=1@y", "http://host:8080/a?x=1@y", nil},
		{"see http://localhost:3000/users/@alice", "see http://localhost:3000/users/@alice", nil},
		{"http://h:/x@y", "http://h:/x@y", nil},
		{"https://en.wikipedia.org/wiki/Help:Contents@x", "https://en.wikipedia.org/wiki/Help:Contents@x", nil},
		{"open http://host:port and mail admin@corp.com", "open http://host:port and mail admin@corp.com", nil},
		{"use redis://cache:port or mail a@b.com", "use redis://cache:port or mail a@b.com", nil},
		{"use postgres://localhost:5432 and mail me@x.com", "use postgres://localhost:5432 and mail me@x.com", nil},
		{"x://u:a/b\nc@h", "x://u:a/b\nc@h", nil},
		{"postgres://u:[REDACTED]/x@h", "postgres://u:[REDACTED]/x@h", nil},
		{"ssh://git@github.com/o/r.git", "ssh://git@github.com/o/r.git", nil},
		{"write to ada@example.com: she knows", "write to ada@example.com: she knows", nil},
		{"https://example.com/a@b:c/d", "https://example.com/a@b:c/d", nil},
		{"https://h/search?q=a:b@c", "https://h/search?q=a:b@c", nil},
		{"postgres://u:[REDACTED]@h/db", "postgres://u:[REDACTED]@h/db", nil},
		{"postgres://u:@h/db", "postgres://u:@h/db", nil},
		{"@decorator\ndef f(): pass", "@decorator\ndef f(): pass", nil},
		{"", "", nil},
	} {
		out, hidden := URLPasswords([]byte(tc.in))
		if string(out) != tc.want || !slices.Equal(hidden, tc.hidden) {
			t.Errorf("URLPasswords(%s)\n got %s %q\nwant %s %q", tc.in, out, hidden, tc.want, tc.hidden)
		}
		if got := URLPasswordsText(tc.in); got != tc.want {
			t.Errorf("URLPasswordsText(%s) = %s, want %s", tc.in, got, tc.want)
		}
		if json.Valid([]byte(tc.in)) && !json.Valid(out) {
			t.Errorf("URLPasswords(%s) is not JSON: %s", tc.in, out)
		}
		if b := []byte(tc.in); tc.in == tc.want && len(b) > 0 {
			if same, _ := URLPasswords(b); &same[0] != &b[0] {
				t.Errorf("URLPasswords(%s) copied a text it leaves as it is", tc.in)
			}
		}
	}
	in := []byte("postgres://u:PASS@h/db")
	if URLPasswords(in); string(in) != "postgres://u:PASS@h/db" {
		t.Fatalf("the text given was changed in place: %s", in)
	}
}

// A text of many @ without a space between them (a run of addresses, a
// crafted body) is read in one pass: each @ looking back to the last space
// took 10^5 @ of a 200 KB body 10^10 steps, the record of one call a
// minute of CPU.
func TestURLPasswordsReadsManyAtsOnce(t *testing.T) {
	for _, body := range []string{
		strings.Repeat("a@", 100_000),
		"x://" + strings.Repeat("a@", 100_000),
		strings.Repeat("x://a@", 30_000),
		"x://u:" + strings.Repeat("p@", 100_000) + "h",
	} {
		out, hidden := URLPasswords([]byte(body))
		if strings.HasPrefix(body, "x://u:") {
			if len(hidden) != 1 || string(out) != "x://u:[REDACTED]@h" {
				t.Fatalf("%.20s…: %.40s…, %d hidden", body, out, len(hidden))
			}
		} else if string(out) != body || hidden != nil {
			t.Fatalf("%.20s… changed", body)
		}
	}
}

// JSON, so every recorded body, masks the password of a URL wherever the
// body holds one — a message's text, a tool call's arguments, a member's
// name — and JSONHiding names it among what it hid, so that the record
// masks it wherever else it stands (the request sent to Qwen).
func TestJSONMasksThePasswordsOfURLs(t *testing.T) {
	body := `{"messages":[{"role":"user","content":"connect to postgres://u:PASS-1234@db.internal/app please"},` +
		`{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"q","arguments":"{\"dsn\":\"mysql://root:pw@db:3306/app\",\"api_key\":\"sk-abcdef\"}"}}]}],` +
		`"max_tokens":9}`
	out, hidden := JSONHiding([]byte(body))
	want := `{"messages":[{"role":"user","content":"connect to postgres://u:[REDACTED]@db.internal/app please"},` +
		`{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"q","arguments":"{\"dsn\":\"mysql://root:[REDACTED]@db:3306/app\",\"api_key\":\"[REDACTED]\"}"}}]}],` +
		`"max_tokens":9}`
	if string(out) != want {
		t.Fatalf("JSONHiding\n got %s\nwant %s", out, want)
	}
	slices.Sort(hidden)
	// pw, of letters alone, is masked in its URLs alone (Distinctive).
	if w := []string{"PASS-1234", "sk-abcdef"}; !slices.Equal(hidden, w) {
		t.Fatalf("hidden %q, want %q", hidden, w)
	}
	if got := string(JSON([]byte(body))); got != want {
		t.Fatalf("JSON\n got %s\nwant %s", got, want)
	}
	qwen := `{"messages":[{"content":"connect to postgres://u:PASS-1234@db.internal/app please"}]}`
	if got := string(NewKnown("", hidden...).JSON([]byte(qwen))); strings.Contains(got, "PASS-1234") {
		t.Fatalf("the hidden password is not masked elsewhere: %s", got)
	}
}

// FuzzURLPasswords: the screen never passes over a text the masker would
// change, the masker keeps JSON valid, and masking twice changes nothing
// more.
func FuzzURLPasswords(f *testing.F) {
	f.Add(`{"c":"postgres://u:PASS@h/db"}`)
	f.Add(`{"c":"https:\/\/u:t@h\/x","d":"x://a:b\u0026c@h"}`)
	f.Add("mongodb+srv://admin:p@ss@cluster/db and ada@example.com")
	f.Add("postgres://u:pa/ss@h/db mysql://u:p?ss@h redis://:p#ss@h:1/0")
	f.Add(`{"c":"postgres:\/\/u:pa ss@h\/db","d":"x://u:a/b@c@d/e"}`)
	f.Add("https://example.com/a?b=c@d http://host:8080/a?x=1@y x://u:a/b@c/d@e")
	f.Fuzz(func(t *testing.T, s string) {
		out, hidden := URLPasswords([]byte(s))
		if changed := string(out) != s; changed != (len(hidden) > 0) {
			t.Fatalf("%q: changed %v, hidden %q", s, changed, hidden)
		}
		if len(hidden) > 0 && !mayHoldURLPassword([]byte(s)) {
			t.Fatalf("%q: the screen passes over what the masker changes", s)
		}
		if json.Valid([]byte(s)) && !json.Valid(out) {
			t.Fatalf("%q: masked, no longer JSON: %s", s, out)
		}
		if again, more := URLPasswords(out); string(again) != string(out) || len(more) > 0 {
			t.Fatalf("%q: masked twice %q, then %q", s, out, again)
		}
	})
}

// BenchmarkURLPasswordsScreen is what URLPasswords adds to the redaction of
// a body holding no URL password (JSON's common case): its screen alone,
// over the bodies of BenchmarkKnownScreen.
//
//	go test -run '^$' -bench URLPasswordsScreen ./internal/redact
func BenchmarkURLPasswordsScreen(b *testing.B) {
	for name, body := range agentBodies() {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if out, _ := URLPasswords(body); &out[0] != &body[0] {
					b.Fatal("changed")
				}
			}
		})
	}
}

// A setting's whole value is one URL: its password is masked to the
// value's last @ whatever it holds — a quote, a brace, a space, which end
// a URL in a text — and the rest is kept.
func TestURLValueMasksAWholeValuesPassword(t *testing.T) {
	for in, want := range map[string]string{
		`postgress://alice:pa"ss@db.example/q`:  `postgress://alice:[REDACTED]@db.example/q`,
		"pg://u:a{b} c\tz`<>@h:5432/db":         "pg://u:[REDACTED]@h:5432/db",
		`sqlite:postgress://u:x\y@h/db`:         `sqlite:postgress://u:[REDACTED]@h/db`,
		"mysql://u:p@ss@h/db":                   "mysql://u:[REDACTED]@h/db",
		"postgress://u@h/db":                    "postgress://u@h/db",
		"postgresql:/u:p w@h/q":                 "postgresql:/u:[REDACTED]@h/q",
		"postgres//u:pw@h/q":                    "postgres//u:[REDACTED]@h/q",
		"sqlite:postgres:/u:pw@h/q":             "sqlite:postgres:/u:[REDACTED]@h/q",
		"C:/data/a:b@c.db":                      "C:/data/a:[REDACTED]@c.db",
		"history.db":                            "history.db",
		"backups/a.db and postgres://u:pw@h/db": "backups/a.db and postgres://u:[REDACTED]@h/db",
	} {
		if got := URLValue(in); got != want {
			t.Errorf("URLValue(%q) = %q, want %q", in, got, want)
		}
	}
}
