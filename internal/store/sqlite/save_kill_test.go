//go:build linux

package sqlite

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"qwenproxy/internal/fswatch"
)

// saveChildEnv names, in the environment of this test binary run as a
// child, the database the child opens and then saves.
const saveChildEnv = "QWENPROXY_TEST_SAVE_CHILD"

// A store killed (kill -9) while it saved a deleted file left a partial
// file under the .saved- name, which an operator would copy back as the
// history. The save is written under an incomplete name and renamed only
// when whole: what the kill leaves is never named a save, and
// IncompleteSaves finds it. The child is killed as soon as the save's
// first file appears (inotify, no timing): its 32 MB take far longer to
// write than the kill takes to land.
func TestASaveKilledPartWayIsNeverASave(t *testing.T) {
	if path := os.Getenv(saveChildEnv); path != "" {
		saveChild(path)
		return
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "q.db")
	openMigrated(t, path)
	fill(t, path, 32)

	child := exec.Command(os.Args[0], "-test.run=^TestASaveKilledPartWayIsNeverASave$")
	child.Env = append(os.Environ(), saveChildEnv+"="+path)
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || lines.Text() != "open" {
		t.Fatalf("the child did not open the store: %q %v", lines.Text(), lines.Err())
	}

	creations := fswatch.Watch(t, dir)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := fmt.Fprintln(stdin, "save"); err != nil {
		t.Fatal(err)
	}
	created := creations.Next(func(name string) bool {
		// A file of a save of the database, beside it.
		return strings.HasPrefix(name, filepath.Base(path)+".") && !strings.HasSuffix(name, "-wal") && !strings.HasSuffix(name, "-shm")
	})
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	t.Logf("killed when %s appeared", created)

	for _, f := range savedBeside(t, path) {
		if strings.HasSuffix(f, "-journal") {
			continue
		}
		if err := wholeDatabase(f); err != nil {
			t.Errorf("a kill during the save left %s, named a save: %v", f, err)
		}
	}
	partial, err := IncompleteSaves(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(partial) == 0 {
		t.Fatalf("no incomplete save beside %s after the kill (the save completed before it, or was named a save)", path)
	}
	if !strings.Contains(partial[0], IncompleteInfix) {
		t.Errorf("IncompleteSaves: %q", partial)
	}
}

// saveChild opens the store at path, says so, and on a line from the
// parent (which has deleted the file) checks it, which saves it.
func saveChild(path string) {
	ctx := context.Background()
	s, err := Open(ctx, path, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println("open")
	bufio.NewScanner(os.Stdin).Scan()
	s.Check(ctx)
	fmt.Fprintln(os.Stderr, "the save completed before the kill")
	select {} // the parent kills
}

// fill adds about mb megabytes of rows to the database at path.
func fill(t *testing.T, path string, mb int) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE filler (b BLOB);
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO filler SELECT randomblob(65536) FROM n;
		PRAGMA wal_checkpoint(TRUNCATE)`, mb*16); err != nil {
		t.Fatal(err)
	}
}

// wholeDatabase opens the file at path as another process would and checks
// that it is a whole database.
func wholeDatabase(path string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	var ok string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil {
		return err
	}
	if ok != "ok" {
		return fmt.Errorf("integrity_check: %s", ok)
	}
	var n int
	return db.QueryRow(`SELECT COUNT(*) FROM filler`).Scan(&n)
}

// A save that fails part way — here the file size limit (RLIMIT_FSIZE, as
// a full disk would) cut at 1 MB of a 16 MB copy — leaves nothing beside
// the path: no file named a save, no incomplete one, no journal; the
// refusal says the save failed.
func TestASaveThatFailsPartWayLeavesNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "q.db")
	openMigrated(t, path)
	fill(t, path, 16)
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.WriteBatch(ctx, oneCall("before")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	// Go ignores SIGXFSZ: a write past the limit fails with EFBIG.
	var was syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &was); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 1 << 20, Max: was.Max}); err != nil {
		t.Fatal(err)
	}
	err = s.WriteBatch(ctx, oneCall("after"))
	if rerr := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &was); rerr != nil {
		t.Fatal(rerr)
	}
	t.Logf("the refusal: %v", err)
	if !errors.Is(err, ErrFileGone) || !strings.Contains(err.Error(), "saving the calls it held failed") {
		t.Errorf("the refusal after a failed save: %v, want ErrFileGone saying the save failed", err)
	}
	left, err := filepath.Glob(path + ".*")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range left {
		if !strings.HasSuffix(f, "-wal") && !strings.HasSuffix(f, "-shm") {
			t.Errorf("a failed save left %s", f)
		}
	}
}
