package config

import (
	"io"
	"strings"
	"testing"
)

// A database URL given as a flag's value with its password in it puts the
// password in the process list (ps, /proc/PID/cmdline), which every user of
// the machine reads, for as long as the command runs — serve's whole life.
// It is warned of, the password never quoted, naming what to do instead;
// DATABASE_URL, which no other user reads, is not warned of.
func TestAPasswordInAFlagIsWarnedOf(t *testing.T) {
	for _, v := range []string{"postgres://alice:hunter2@db/q", "postgresql://alice:p#ss@db/q?sslmode=disable", "postgres://alice@db/q?password=hunter2"} {
		w := ArgumentPassword("--database-url", v, "DATABASE_URL")
		if !strings.Contains(w, "--database-url holds a password") || !strings.Contains(w, "process list") ||
			!strings.Contains(w, "PGPASSWORD") || !strings.Contains(w, "DATABASE_URL") || strings.Contains(w, "hunter2") || strings.Contains(w, "p#ss") {
			t.Errorf("%s: %q", v, w)
		}
	}
	for _, v := range []string{"", "postgres://alice@db/q", "postgres://db/q?sslmode=disable", "./data/qwenproxy.db", "sqlite:./a.db"} {
		if w := ArgumentPassword("--to", v, ""); w != "" {
			t.Errorf("%s: %q, want no warning", v, w)
		}
	}
	c, err := Load([]string{"--database-url", "postgres://alice:hunter2@db/q"}, env(nil), io.Discard)
	if err != nil || len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "--database-url holds a password") {
		t.Errorf("serve --database-url with a password: %v %q", err, c.Warnings)
	}
	c, err = Load(nil, env(map[string]string{"DATABASE_URL": "postgres://alice:hunter2@db/q"}), io.Discard)
	if err != nil || len(c.Warnings) != 0 {
		t.Errorf("DATABASE_URL with a password: %v %q", err, c.Warnings)
	}
}
