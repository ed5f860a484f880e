//go:build unix

package recorder

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A spool made again after its directory was removed was not locked: a
// second server naming the same spool started, took it, and replayed this
// server's records into its own database. The file made again is locked as
// the first was, and a file another server holds at the path is refused,
// not written to.
func TestASpoolMadeAgainIsLocked(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	path := filepath.Join(dir, "q.spool")
	sp, err := openSpool(path)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.close()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := sp.append([]item{{ex: ptr(ex(1))}}); err != nil {
		t.Fatal(err)
	}
	if err := flockOf(t, path); !errors.Is(err, syscall.EWOULDBLOCK) {
		t.Fatalf("the spool made again is not locked: flock %v", err)
	}

	// Removed again, and another server's spool made at the path first.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := flockOf(t, path); err != nil {
		t.Fatal(err)
	}
	_, err = sp.append([]item{{ex: ptr(ex(2))}})
	if err == nil || !strings.Contains(err.Error(), "another server's") {
		t.Fatalf("append into another server's spool: %v", err)
	}
	if b, _ := os.ReadFile(path); len(b) != 0 {
		t.Fatalf("another server's spool was written to: %q", b)
	}
}

// flockOf takes an exclusive flock on a new descriptor of path, held until
// the test ends, as another process would.
func flockOf(t *testing.T, path string) error {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}

func ptr[T any](v T) *T { return &v }
