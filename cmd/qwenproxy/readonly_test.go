//go:build linux

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"qwenproxy/internal/store/storetest"
)

// nobody is the user the tests run the binary as when they run as root,
// for whom a file's mode holds (root writes a file of mode 0444).
const nobody = 65534

// readOnlyDatabase is a database file the binary may read but not write,
// made one way: how the binary is run on it.
type readOnlyDatabase struct {
	name string
	// make puts a copy of the database src beside dir's, made so, and
	// returns its path and the user to run the binary as (nil: this one).
	make func(t *testing.T, src, dir string) (path string, as *syscall.Credential)
}

// readOnlyDatabases are the ways an operator meets a file they may only
// read: its mode, its directory's, a read-only mount (a backup). The
// modes are real for a user; run as root, where they stop no write, the
// binary runs as nobody. A read-only mount stops root too; only root can
// make one.
var readOnlyDatabases = []readOnlyDatabase{
	{"mode 0444 in a directory of mode 0555", func(t *testing.T, src, dir string) (string, *syscall.Credential) {
		path := copyInto(t, src, filepath.Join(dir, "ro"))
		chmod(t, path, 0o444)
		chmod(t, filepath.Dir(path), 0o555)
		return path, asNobody()
	}},
	{"mode 0444 in a directory it may write", func(t *testing.T, src, dir string) (string, *syscall.Credential) {
		path := copyInto(t, src, filepath.Join(dir, "rw"))
		chmod(t, path, 0o444)
		chmod(t, filepath.Dir(path), 0o777)
		return path, asNobody()
	}},
	{"a read-only mount", func(t *testing.T, src, dir string) (string, *syscall.Credential) {
		if os.Getuid() != 0 {
			t.Skip("a read-only mount of our own needs root")
		}
		path := copyInto(t, src, filepath.Join(dir, "backup"))
		mnt := filepath.Join(dir, "mnt")
		if err := os.Mkdir(mnt, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"--bind", filepath.Dir(path), mnt}, {"-o", "remount,bind,ro", mnt}} {
			if out, err := exec.Command("mount", args...).CombinedOutput(); err != nil {
				t.Skipf("mount %v: %v %s", args, err, out)
			}
		}
		t.Cleanup(func() {
			if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
				t.Errorf("umount %s: %v %s", mnt, err, out)
			}
		})
		return filepath.Join(mnt, filepath.Base(path)), nil
	}},
}

// The commands that only read failed on a file they may only read (mode
// 0444, a read-only directory, a backup on a read-only mount) with
// SQLite's "attempt to write a readonly database": they opened it for
// writing. They read it, and leave nothing beside it (a -wal or -shm made
// by another user, of the file's mode, would stop the server's next
// start).
func TestReadCommandsReadADatabaseTheyMayNotWrite(t *testing.T) {
	bin, dir := readOnlyBinary(t)
	src := filepath.Join(t.TempDir(), "q.db")
	st := storetest.Open(t, src)
	seedHistory(t, st, 30)
	st.Close()
	for _, how := range readOnlyDatabases {
		t.Run(how.name, func(t *testing.T) {
			path, as := how.make(t, src, filepath.Join(dir, strings.ReplaceAll(how.name, " ", "-")))
			before := fileBytes(t, path)
			for _, args := range readCommands {
				out, errOut, code := runAs(t, bin, as, path, args...)
				if code != 0 || out == "" {
					t.Errorf("%v: exit %d, %q %q", args, code, out, errOut)
				}
			}
			copied := filepath.Join(dir, "copies", strings.ReplaceAll(how.name, " ", "-")+".db")
			if out, errOut, code := runAs(t, bin, as, path, "copy", "--from", "sqlite:"+path, "--to", "sqlite:"+copied); code != 0 {
				t.Errorf("copy from it: exit %d, %q %q", code, out, errOut)
			}
			if !bytes.Equal(fileBytes(t, path), before) {
				t.Errorf("the file changed")
			}
			if left, _ := filepath.Glob(path + "-*"); len(left) > 0 {
				t.Errorf("left beside the file: %q", left)
			}
		})
	}
}

// An older schema on a file they may not write is read as on one they
// may: from a migrated snapshot, said so, and that migrating it needs a
// user who may write it.
func TestReadCommandsReadAnOlderDatabaseTheyMayNotWrite(t *testing.T) {
	bin, dir := readOnlyBinary(t)
	src := filepath.Join(t.TempDir(), "q.db")
	st := storetest.Open(t, src)
	seedHistory(t, st, 30)
	asBeforeMigration13(t, st)
	st.Close()
	path, as := readOnlyDatabases[0].make(t, src, dir)
	out, errOut, code := runAs(t, bin, as, path, "requests", "show", "req-00004")
	if code != 0 || !strings.Contains(out, `"n": 4`) || !strings.Contains(errOut, "older schema") || !strings.Contains(errOut, "may not write it") {
		t.Errorf("requests show on an older read-only file: exit %d, %q %q", code, out, errOut)
	}
}

// The commands that write refuse a file they may not write, saying why,
// and leave it as it was, with nothing beside it: SQLite, refused the
// write, made a -wal and -shm of the file's mode there as it read.
func TestWriteCommandsRefuseADatabaseTheyMayNotWrite(t *testing.T) {
	bin, dir := readOnlyBinary(t)
	src := filepath.Join(t.TempDir(), "q.db")
	st := storetest.Open(t, src)
	seedHistory(t, st, 30)
	st.Close()
	for _, how := range readOnlyDatabases {
		t.Run(how.name, func(t *testing.T) {
			path, as := how.make(t, src, filepath.Join(dir, strings.ReplaceAll(how.name, " ", "-")))
			before := fileBytes(t, path)
			for _, args := range [][]string{{"keys", "add", "--name", "x"}, {"sessions", "rm", "s-03"}, {"migrate", "up"}} {
				out, errOut, code := runAs(t, bin, as, path, args...)
				if code == 0 || !strings.Contains(errOut, "may not write") && !strings.Contains(errOut, "read-only file system") {
					t.Errorf("%v: exit %d, %q %q", args, code, out, errOut)
				}
			}
			if !bytes.Equal(fileBytes(t, path), before) {
				t.Errorf("the file changed")
			}
			// A -wal and -shm made by another user, of the file's mode,
			// would stop the server's next start.
			if left, _ := filepath.Glob(path + "-*"); len(left) > 0 {
				t.Errorf("left beside the file: %q", left)
			}
		})
	}
}

// readOnlyBinary builds the binary into a directory every user may read,
// and returns it and a directory for the databases (removed after).
func readOnlyBinary(t *testing.T) (bin, dir string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "qwenproxy-readonly-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				os.Chmod(p, 0o755)
			}
			return nil
		})
		os.RemoveAll(dir)
	})
	chmod(t, dir, 0o755)
	if err := os.Mkdir(filepath.Join(dir, "copies"), 0o777); err != nil {
		t.Fatal(err)
	}
	chmod(t, filepath.Join(dir, "copies"), 0o777)
	bin = filepath.Join(dir, "qwenproxy")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin, dir
}

// runAs runs the binary on the database at path as the user as (nil: this
// process's), and returns its output and exit status.
func runAs(t *testing.T, bin string, as *syscall.Credential, path string, args ...string) (string, string, int) {
	t.Helper()
	if args[0] != "copy" { // which names its databases itself
		args = append(args, "--database-path", path)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=/nonexistent"}
	cmd.Dir = "/"
	if as != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: as}
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

// asNobody is the user to run the binary as for a file's mode to hold:
// nobody when this process is root, else this process's own.
func asNobody() *syscall.Credential {
	if os.Getuid() != 0 {
		return nil
	}
	return &syscall.Credential{Uid: nobody, Gid: nobody}
}

// copyInto copies the database file src into the new directory dir.
func copyInto(t *testing.T, src, dir string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, filepath.Base(src))
	if err := os.WriteFile(path, fileBytes(t, src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func fileBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
