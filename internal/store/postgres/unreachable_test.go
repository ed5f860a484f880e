package postgres

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// The server's own answers while it starts or stops are waited out; those
// that say the URL is wrong are not.
func TestUnreachableByTheServersAnswer(t *testing.T) {
	for code, want := range map[string]bool{
		"57P03": true,  // the database system is starting up
		"57P01": true,  // terminating connection due to administrator command
		"53300": true,  // too many clients already
		"08006": true,  // connection failure
		"28P01": false, // password authentication failed
		"28000": false, // no pg_hba.conf entry
		"3D000": false, // database does not exist
		"42501": false, // permission denied
	} {
		err := fmt.Errorf("ping postgres: %w", &pgconn.PgError{Code: code})
		if got := Unreachable(err); got != want {
			t.Errorf("SQLSTATE %s: Unreachable %v, want %v", code, got, want)
		}
	}
	if Unreachable(errors.New("cannot parse `postgres://x`: failed to parse as URL")) {
		t.Error("a URL that does not parse is waited for")
	}
}
