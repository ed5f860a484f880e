package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qwenproxy/internal/store"
)

// A database file that is not one (a garbage header, a truncation) or is
// damaged inside said only SQLite's words, behind whatever step met them
// ("check rollups: database disk image is malformed"): nothing said that
// the file was left as it was, nor what to do. Every command now says it,
// and the file is unchanged.
func TestADamagedDatabaseFileIsExplainedAndLeftAsItIs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	st, err := store.Open(ctx, good, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	st.Close()
	whole, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	garbage := bytes.Clone(whole)
	copy(garbage, "GARBAGE GARBAGE GARBAGE")
	inside := bytes.Clone(whole)
	for i := 16 * 8192; i < 32*8192 && i < len(inside); i++ {
		inside[i] = byte(i * 7)
	}
	for name, content := range map[string][]byte{
		"garbage header": garbage,
		"truncated":      whole[:100],
		"damaged inside": inside,
	} {
		t.Run(name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "q.db")
			if err := os.WriteFile(db, content, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{{"stats"}, {"export"}} {
				var out, errOut bytes.Buffer
				code := run(ctx, append(args, "--database-path", db), func(string) string { return "" }, &out, &errOut)
				if code != 1 || !strings.Contains(errOut.String(), "left as it is") || !strings.Contains(errOut.String(), ".recover") {
					t.Errorf("%v on a %s file: %d\n%s", args, name, code, errOut.String())
				}
			}
			// Its pages stay as they were: SQLite may touch the first
			// page's header (its change counter) on opening a file.
			if after, err := os.ReadFile(db); err != nil || len(after) != len(content) || len(after) > 8192 && !bytes.Equal(after[8192:], content[8192:]) {
				t.Errorf("the %s file was changed (%v)", name, err)
			}
		})
	}
}
