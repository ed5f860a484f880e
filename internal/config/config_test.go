package config

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"qwenproxy/internal/qwen"
	"qwenproxy/internal/store/bodies"
)

func env(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }

func TestDefaults(t *testing.T) {
	c, err := Load(nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr() != "127.0.0.1:3000" || c.DatabasePath != "./data/qwenproxy.db" || c.QwenBaseURL != "https://chat.qwen.ai" ||
		c.QwenTimeout != 120*time.Second || c.SessionTimeout != 30*time.Minute || c.MaxRetries != 3 || c.MaxBodyBytes != 10<<20 || c.MockUpstream {
		t.Fatalf("defaults %+v", c)
	}
	// The Qwen client's own default, which the qwen package holds to the
	// longest answer Qwen's model list allows.
	if c.QwenMaxAnswerBytes != qwen.DefaultMaxAnswerBytes {
		t.Errorf("QWEN_MAX_ANSWER_BYTES defaults to %d, the Qwen client to %d", c.QwenMaxAnswerBytes, qwen.DefaultMaxAnswerBytes)
	}
}

func TestEnvironmentThenFlags(t *testing.T) {
	c, err := Load([]string{"--port", "4000", "--mock-upstream"}, env(map[string]string{
		"PORT": "3500", "HOST": "0.0.0.0", "QWEN_TIMEOUT": "5000", "SESSION_TIMEOUT": "60000", "LOG_LEVEL": "DEBUG",
		"QWEN_BASE_URL": "http://127.0.0.1:9/", "RETRY_BASE_DELAY": "0", "MODEL_MAP": "claude-*=qwen3-coder-plus",
	}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 4000 || c.Host != "0.0.0.0" || c.QwenTimeout != 5*time.Second || c.SessionTimeout != time.Minute ||
		c.LogLevel != "debug" || c.QwenBaseURL != "http://127.0.0.1:9" || !c.MockUpstream || c.RetryBaseDelay != 0 ||
		len(c.ModelMap) != 1 || c.ModelMap[0].Target != "qwen3-coder-plus" {
		t.Fatalf("config %+v", c)
	}
}

func TestBadValuesAreNamed(t *testing.T) {
	_, err := Load(nil, env(map[string]string{"PORT": "http", "QWEN_TIMEOUT": "-1", "LOG_LEVEL": "loud", "QWEN_BASE_URL": "chat.qwen.ai", "MODEL_MAP": "claude"}), io.Discard)
	if err == nil {
		t.Fatal("bad values accepted")
	}
	for _, name := range []string{"PORT", "QWEN_TIMEOUT", "LOG_LEVEL", "QWEN_BASE_URL", "MODEL_MAP"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
	if _, err := Load([]string{"--nope"}, env(nil), io.Discard); err == nil {
		t.Fatal("unknown flag accepted")
	}
	if _, err := Load([]string{"--log-level", "loud"}, env(nil), io.Discard); err == nil {
		t.Fatal("bad flag value accepted")
	}
}

func TestRecorderLingerIsBounded(t *testing.T) {
	for v, want := range map[string]time.Duration{"": 500 * time.Millisecond, "0": 0, "1000": time.Second, "60000": time.Minute} {
		c, err := Load(nil, env(map[string]string{"RECORDER_LINGER": v}), io.Discard)
		if err != nil || c.RecorderLinger != want {
			t.Errorf("RECORDER_LINGER=%q: %v %v (want %v)", v, c.RecorderLinger, err, want)
		}
	}
	for _, v := range []string{"-1", "60001", "1s"} {
		if _, err := Load(nil, env(map[string]string{"RECORDER_LINGER": v}), io.Discard); err == nil || !strings.Contains(err.Error(), "RECORDER_LINGER") {
			t.Errorf("RECORDER_LINGER=%q: %v", v, err)
		}
	}
}

func TestDatabaseURL(t *testing.T) {
	c, err := Load(nil, env(map[string]string{"DATABASE_URL": "postgres://u:pw@db:5432/q"}), io.Discard)
	if err != nil || c.Database() != "postgres://u:pw@db:5432/q" || c.SpoolPath != "./data/qwenproxy.db.spool" {
		t.Fatalf("%+v %v", c, err)
	}
	if c, _ := Load(nil, env(nil), io.Discard); c.Database() != "./data/qwenproxy.db" {
		t.Fatalf("without a URL: %q", c.Database())
	}
	// Not PostgreSQL: refused, naming the setting but never echoing the
	// value, which may hold a password.
	_, err = Load(nil, env(map[string]string{"DATABASE_URL": "mysql://u:hunter2@db/q"}), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %v", err)
	}
	_, err = Load([]string{"--database-url", "mysql://u:hunter2@db/q"}, env(nil), io.Discard)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("flag error %v", err)
	}
	// A usage error prints the flags, never DATABASE_URL's value.
	var usage strings.Builder
	if _, err := Load([]string{"--nope"}, env(map[string]string{"DATABASE_URL": "postgres://u:hunter2@db/q"}), &usage); err == nil ||
		!strings.Contains(usage.String(), "-database-url") || strings.Contains(usage.String(), "hunter2") {
		t.Fatalf("usage %q (%v)", usage.String(), err)
	}
}

// RETENTION_MAX_BYTES below what an empty history takes would have every
// call deleted, sweep after sweep: it is refused, with the least it takes.
func TestRetentionSizeLimitHasAFloor(t *testing.T) {
	for v, ok := range map[string]bool{"0": true, "1048576": true, "5000000000": true, "200000": false, "1": false, "-1": false} {
		c, err := Load(nil, env(map[string]string{"RETENTION_MAX_BYTES": v}), io.Discard)
		if ok && (err != nil || fmt.Sprint(c.RetentionMaxBytes) != v) || !ok && (err == nil || !strings.Contains(err.Error(), "RETENTION_MAX_BYTES")) {
			t.Errorf("RETENTION_MAX_BYTES=%s: %v", v, err)
		}
	}
	if _, err := Load(nil, env(map[string]string{"RETENTION_MAX_BYTES": "200000"}), io.Discard); err == nil || !strings.Contains(err.Error(), "at least 1048576") {
		t.Errorf("the floor is not named: %v", err)
	}
}

// A password (or a key in its query) in QWEN_BASE_URL would be shown wherever the URL is (the start
// line, doctor, and the message of every call Qwen could not be reached
// for: the client's answer and its recorded row): it is refused at start,
// without being quoted.
func TestQwenBaseURLWithCredentialsIsRefused(t *testing.T) {
	for _, v := range []string{"http://user:hunter2@127.0.0.1:9", "https://hunter2@chat.example",
		// A query (a gateway's ?key=) or fragment is shown alike, and
		// the proxy appends Qwen's paths after it, which no server reads.
		"https://chat.example/?key=hunter2", "https://chat.example/#hunter2"} {
		_, err := Load(nil, env(map[string]string{"QWEN_BASE_URL": v}), io.Discard)
		if err == nil || !strings.Contains(err.Error(), "QWEN_BASE_URL") || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("QWEN_BASE_URL=%s: %v", v, err)
		}
		_, err = Load([]string{"--qwen-base-url", v}, env(nil), io.Discard)
		if err == nil || !strings.Contains(err.Error(), "--qwen-base-url") || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("--qwen-base-url %s: %v", v, err)
		}
	}
}

// A QWENPROXY_SECRET_KEY that is not a key is refused naming the variable
// once (it read "QWENPROXY_SECRET_KEY: QWENPROXY_SECRET_KEY key 1: …") and
// which of its keys is wrong, never quoting it.
func TestABadSecretKeyIsNamedOnce(t *testing.T) {
	good := strings.Repeat("ab", 32)
	for _, v := range []string{"Sh0rtSecret", good + ",Sh0rtSecret"} {
		_, err := Load(nil, env(map[string]string{"QWENPROXY_SECRET_KEY": v}), io.Discard)
		if err == nil {
			t.Fatalf("%q accepted", v)
		}
		msg := err.Error()
		if strings.Count(msg, "QWENPROXY_SECRET_KEY") != 1 || !strings.Contains(msg, "key ") || strings.Contains(msg, "Sh0rtSecret") || strings.Contains(msg, good) {
			t.Errorf("%q: %v", v, err)
		}
	}
}

// A bad QWEN_ACCOUNTS was named twice ("QWEN_ACCOUNTS: QWEN_ACCOUNTS entry
// 1: …"), and one of commas alone started a server with no account where
// an empty QWEN_ACCOUNTS_FILE is refused.
func TestABadAccountsListIsNamedOnce(t *testing.T) {
	for v, want := range map[string]string{
		"nopassword,a@x.io:secret1": "QWEN_ACCOUNTS: entry 1: is not email:password",
		"a@x.io:secret1,A@x.io:y":   "QWEN_ACCOUNTS: a@x.io is listed twice",
		" , ":                       "QWEN_ACCOUNTS: holds no account",
	} {
		_, err := Load(nil, env(map[string]string{"QWEN_ACCOUNTS": v}), io.Discard)
		if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "secret1") {
			t.Errorf("%q: %v, want %q", v, err, want)
		}
	}
}

// RECORD_MAX_BODY_BYTES is bounded by what the store can read back
// (bodies.MaxDecoded): a larger limit recorded bodies no read could
// decompress.
func TestRecordMaxBodyBytesIsReadable(t *testing.T) {
	at := strconv.Itoa(bodies.MaxDecoded)
	if c, err := Load(nil, env(map[string]string{"RECORD_MAX_BODY_BYTES": at}), io.Discard); err != nil || c.RecordMaxBodyBytes != bodies.MaxDecoded {
		t.Errorf("RECORD_MAX_BODY_BYTES=%s (what the store reads back): %v", at, err)
	}
	over := strconv.Itoa(bodies.MaxDecoded + 1)
	if _, err := Load(nil, env(map[string]string{"RECORD_MAX_BODY_BYTES": over}), io.Discard); err == nil || !strings.Contains(err.Error(), "RECORD_MAX_BODY_BYTES") {
		t.Errorf("RECORD_MAX_BODY_BYTES=%s, over what the store reads back, accepted: %v", over, err)
	}
}

func TestAllowedHostsAreHostNames(t *testing.T) {
	c, err := Load(nil, env(map[string]string{"ALLOWED_HOSTS": " Proxy.Example.com., api.example.org ,"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.AllowedHosts, " ") != "proxy.example.com api.example.org" {
		t.Fatalf("ALLOWED_HOSTS read as %q", c.AllowedHosts)
	}
	for _, bad := range []string{"https://proxy.example.com", "proxy.example.com:443", "*.example.com"} {
		if _, err := Load(nil, env(map[string]string{"ALLOWED_HOSTS": bad}), io.Discard); err == nil || !strings.Contains(err.Error(), "ALLOWED_HOSTS") {
			t.Errorf("ALLOWED_HOSTS=%s: %v, want an error naming it", bad, err)
		}
	}
}

// A header value Qwen's calls carry is refused at start when blank or not
// sendable: " " went out as a blank Version header on every call (Qwen
// then refuses them all, and only doctor said why), and a value with a
// line break failed every call in net/http instead of at start; the
// spaces around a value (a trailing newline of $(cat file)) are trimmed.
func TestHeaderSettingsMustBeSendable(t *testing.T) {
	for _, name := range []string{"QWEN_WEB_VERSION", "USER_AGENT"} {
		for _, v := range []string{" ", "\t", "0.3\n11", "a\x7fb"} {
			if _, err := Load(nil, env(map[string]string{name: v}), io.Discard); err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s=%q: %v", name, v, err)
			}
		}
	}
	c, err := Load(nil, env(map[string]string{"QWEN_WEB_VERSION": " 0.3.12 ", "USER_AGENT": "Mozilla/5.0 (X11) Test"}), io.Discard)
	if err != nil || c.QwenWebVersion != "0.3.12" || c.UserAgent != "Mozilla/5.0 (X11) Test" {
		t.Fatalf("good values: %+v %v", c, err)
	}
}

// CORS_ORIGINS is compared with a browser's Origin header as it is
// (scheme://host[:port], lower-case, no path): an origin written with a
// trailing "/" or in capitals (pasted from the address bar) never matched,
// and one without a scheme or with a path could not, so that page's every
// call was a 403 origin_not_allowed with nothing at start saying why. The
// first are now read as the origin they name; the others are refused.
func TestCORSOriginsAreOriginsAsBrowsersSendThem(t *testing.T) {
	c, err := Load(nil, env(map[string]string{"CORS_ORIGINS": " https://App.Example.com/ , http://localhost:5173,*,chrome-extension://abcdefghijklmnop"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.CORSOrigins, " "); got != "https://app.example.com http://localhost:5173 * chrome-extension://abcdefghijklmnop" {
		t.Fatalf("CORS_ORIGINS read as %q", c.CORSOrigins)
	}
	for _, bad := range []string{"app.example.com", "https://app.example.com/ui/", "https://app.example.com?x=1", "localhost:5173", "https://"} {
		if _, err := Load(nil, env(map[string]string{"CORS_ORIGINS": bad}), io.Discard); err == nil ||
			!strings.Contains(err.Error(), "CORS_ORIGINS") || !strings.Contains(err.Error(), "is not an origin") {
			t.Errorf("CORS_ORIGINS=%s: %v", bad, err)
		}
	}
}

// API_KEYS (and ADMIN_API_KEYS) of commas and blanks alone were read as no
// keys: a server meant to be guarded answered everyone. They are refused,
// as QWEN_ACCOUNTS is, without the value shown; keys with blanks around
// them and a stray comma are still taken.
func TestKeyListsOfNoKeyAreRefused(t *testing.T) {
	for _, name := range []string{"API_KEYS", "ADMIN_API_KEYS"} {
		for _, v := range []string{" , ", ",", "   "} {
			_, err := Load(nil, env(map[string]string{name: v}), io.Discard)
			if err == nil || !strings.HasPrefix(err.Error(), name+": holds no key") {
				t.Errorf("%s=%q: %v", name, v, err)
			}
		}
		c, err := Load(nil, env(map[string]string{name: " sk-secret-1 ,sk-secret-2,"}), io.Discard)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := map[string][]string{"API_KEYS": c.APIKeys, "ADMIN_API_KEYS": c.AdminAPIKeys}[name]
		if len(got) != 2 || got[0] != "sk-secret-1" || got[1] != "sk-secret-2" {
			t.Errorf("%s: %q", name, got)
		}
	}
}
