package postgres_test

import (
	"strings"
	"testing"

	"qwenproxy/internal/store/postgres"
)

// A URL whose password holds a raw #, ?, /, space, @ or a bad %-escape
// (pasted as the provider gave it) is cut by url.Parse at that character:
// Redact said "postgres://(unparsable URL)", and every error naming the
// database lost its @host, or, when the cut left something that parsed
// (alice:12 taken for a host and its port), showed the password in clear.
// It now reads the URL as pgx (libpq) does: the user info runs to the @,
// the password is masked whole, and the host is shown.
func TestRedactKeepsTheHostOfAURLItsPasswordCuts(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{"postgres://alice:12#ss@db.example/q", "postgres://alice:xxxxx@db.example/q"},
		{"postgres://alice:12?ss@db.example/q", "postgres://alice:xxxxx@db.example/q"},
		{"postgres://alice:p#ss@127.0.0.1:1/q", "postgres://alice:xxxxx@127.0.0.1:1/q"},
		{"postgres://alice:pa ss@db.example:5432/q", "postgres://alice:xxxxx@db.example:5432/q"},
		{"postgres://alice:s3cr%zzet@db.example:5432/q", "postgres://alice:xxxxx@db.example:5432/q"},
		{"postgres://alice:pa/ss@db.example:5432/q", "postgres://alice:xxxxx@db.example:5432/q"},
		{"postgres://alice:p@ss@db.example/q", "postgres://alice:xxxxx@db.example/q"},
		{"postgresql://alice:p#ss@db.example/q?sslmode=disable&password=p2", "postgresql://alice:xxxxx@db.example/q?sslmode=disable&password=xxxxx"},
		// URLs url.Parse reads as pgx does, as before.
		{"postgres://alice:secret@db.example:5432/q?sslmode=disable", "postgres://alice:xxxxx@db.example:5432/q?sslmode=disable"},
		{"postgres://alice@db.example/q?password=p2&connect_timeout=1", "postgres://alice@db.example/q?password=xxxxx&connect_timeout=1"},
		{"postgres://db.example/q?application_name=a@b", "postgres://db.example/q?application_name=a@b"},
	} {
		got := postgres.Redact(tc.raw)
		if got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.raw, got, tc.want)
		}
		for _, secret := range []string{"12#ss", "12?ss", "p#ss", "pa ss", "s3cr", "pa/ss", "p@ss", "p2", "secret"} {
			if strings.Contains(got, secret) {
				t.Errorf("Redact(%q) = %q shows %q", tc.raw, got, secret)
			}
		}
	}
}
