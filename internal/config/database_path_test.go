package config

import (
	"io"
	"testing"
)

// DATABASE_PATH (or --database-path) in the sqlite:PATH form copy takes
// names the file PATH, for everything derived from it: serve opened PATH
// but put its lock and spool under a directory named "sqlite:" in the
// working directory (so a second server on the file, started elsewhere,
// took no notice of the first), and the commands said "no database at
// sqlite:PATH".
func TestASQLitePrefixedDatabasePathNamesTheFile(t *testing.T) {
	for _, tc := range []struct {
		args []string
		vars map[string]string
	}{
		{nil, map[string]string{"DATABASE_PATH": "sqlite:/srv/q/history.db"}},
		{[]string{"--database-path", "sqlite:/srv/q/history.db"}, nil},
	} {
		c, err := Load(tc.args, env(tc.vars), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if c.DatabasePath != "/srv/q/history.db" || c.SpoolPath != "/srv/q/history.db.spool" || c.Database() != "/srv/q/history.db" {
			t.Errorf("%v %v: database %q, spool %q", tc.args, tc.vars, c.DatabasePath, c.SpoolPath)
		}
	}
}
