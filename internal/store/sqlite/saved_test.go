package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store/sqlstore"
)

// A database file deleted while the store is open — or replaced, a file
// renamed over it — leaves the only copy of every call it holds in the
// server's hands: the next start made a new file and they were gone, though
// their clients had their answers. The store saves what it holds beside the
// path, once, and its refusals say where.
func TestADeletedOrReplacedFileIsSavedBesideItsPath(t *testing.T) {
	for _, tc := range []struct {
		name   string
		remove func(t *testing.T, path string)
	}{
		{"deleted", func(t *testing.T, path string) {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				if err := os.Remove(path + suffix); err != nil && !os.IsNotExist(err) {
					t.Fatal(err)
				}
			}
		}},
		{"deleted, its WAL left", func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}},
		{"replaced", func(t *testing.T, path string) {
			other := path + ".other"
			if err := os.WriteFile(other, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(other, path); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "q.db")
			openMigrated(t, path)
			s, err := Open(ctx, path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.WriteBatch(ctx, oneCall("before")); err != nil {
				t.Fatal(err)
			}
			tc.remove(t, path)
			err = s.WriteBatch(ctx, oneCall("after"))
			if !errors.Is(err, ErrFileGone) {
				t.Fatalf("a write after the file went: %v, want ErrFileGone", err)
			}
			saved := savedBeside(t, path)
			if len(saved) != 1 {
				t.Fatalf("files saved beside %s: %q, want one", path, saved)
			}
			if !strings.Contains(err.Error(), saved[0]) {
				t.Errorf("the refusal does not name the saved file %s: %v", saved[0], err)
			}
			if ids := requestIDsIn(t, saved[0]); len(ids) != 1 || ids[0] != "before" {
				t.Errorf("the saved file holds calls %q, want [before]", ids)
			}
			// Later refusals name it too, and save nothing more.
			if err := s.Check(ctx); err == nil || !strings.Contains(err.Error(), saved[0]) {
				t.Errorf("a later check does not name the saved file: %v", err)
			}
			if again := savedBeside(t, path); len(again) != 1 {
				t.Errorf("files saved after a second refusal: %q, want the one", again)
			}
		})
	}
}

// A file moved away keeps its calls under its new name: nothing is saved.
func TestAMovedFileIsNotSavedAgain(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "q.db")
	openMigrated(t, path)
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := os.Rename(path, filepath.Join(dir, "away.db")); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteBatch(ctx, oneCall("after")); !errors.Is(err, ErrFileGone) {
		t.Fatalf("a write after the move: %v, want ErrFileGone", err)
	}
	if saved := savedBeside(t, path); len(saved) != 0 {
		t.Errorf("a moved file was saved again: %q", saved)
	}
}

// savedBeside lists the files saved beside path.
func savedBeside(t *testing.T, path string) []string {
	t.Helper()
	saved, err := filepath.Glob(path + ".saved-*")
	if err != nil {
		t.Fatal(err)
	}
	var dbs []string
	for _, f := range saved {
		if !strings.HasSuffix(f, "-wal") && !strings.HasSuffix(f, "-shm") {
			dbs = append(dbs, f)
		}
	}
	return dbs
}

// A history delete after the file went answered as done, though it changed
// only the file no one will open again: the session or calls came back
// with the history. It is refused as the recorder's writes are.
func TestADeleteAfterTheFileWentIsRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "q.db")
	openMigrated(t, path)
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.WriteBatch(ctx, oneCall("before")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	for name, del := range map[string]func() error{
		"session":         func() error { return s.DeleteSession(ctx, "s1") },
		"calls before":    func() error { _, err := s.DeleteRequestsBefore(ctx, time.Now(), 500, nil); return err },
		"oldest over":     func() error { _, err := s.DeleteOldestOver(ctx, 1, 500); return err },
		"response object": func() error { return s.DeleteResponseObject(ctx, "before", time.Now()) },
	} {
		if err := del(); !errors.Is(err, ErrFileGone) {
			t.Errorf("delete %s after the file went: %v, want ErrFileGone", name, err)
		}
	}
}

// Writes of accounts, API keys and Qwen credentials after the file went —
// the server's account state, counts and sign-ins, the CLI's keys add and
// credentials set — went to the file no one will open again and were lost
// with it. They are refused as deletes are, and so is every other write.
func TestEveryWriteAfterTheFileWentIsRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "q.db")
	openMigrated(t, path)
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	if err := s.PutAccount(ctx, qp.AccountRecord{ID: "a@example.com", Source: "stored", UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddAPIKey(ctx, qp.APIKey{ID: "k1", Name: "one", Hash: "h1", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetQwenCredentials(ctx, qp.QwenCredentials{Token: "t", Cookies: "c", UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	for name, write := range map[string]func() error{
		"put account": func() error {
			return s.PutAccount(ctx, qp.AccountRecord{ID: "b@example.com", Source: "stored", UpdatedAt: now})
		},
		"ensure account": func() error { return s.EnsureAccount(ctx, "c@example.com", qp.AccountEnvironment, now) },
		"delete account": func() error { return s.DeleteAccount(ctx, "a@example.com", now) },
		"account state": func() error {
			return s.SaveAccountState(ctx, "a@example.com", "", qp.AccountState{State: "cooldown", StateAt: now.Add(time.Second)})
		},
		"account counts": func() error { return s.AddAccountCounts(ctx, "a@example.com", 3, map[string]int64{"auth": 1}) },
		"claim sign-in": func() error {
			_, err := s.ClaimSignIn(ctx, "a@example.com", "", now, now.Add(time.Minute), time.Time{})
			return err
		},
		"account token": func() error { return s.SaveAccountToken(ctx, "a@example.com", "", "sealed", now.Add(time.Hour)) },
		"reseal accounts": func() error {
			_, err := s.ResealAccounts(ctx, func(_, sealed string) (string, error) { return sealed, nil })
			return err
		},
		"add api key":       func() error { return s.AddAPIKey(ctx, qp.APIKey{ID: "k2", Name: "two", Hash: "h2", CreatedAt: now}) },
		"delete api key":    func() error { return s.DeleteAPIKey(ctx, "k1") },
		"limit api key":     func() error { return s.SetAPIKeyLimit(ctx, "k1", 2) },
		"mark chat deleted": func() error { return s.MarkChatDeleted(ctx, "s1", "chat1", now) },
		"set credentials":   func() error { return s.SetQwenCredentials(ctx, qp.QwenCredentials{Token: "t2", UpdatedAt: now}) },
		"clear credentials": func() error { return s.ClearQwenCredentials(ctx) },
		"forget expired session keys": func() error {
			_, err := s.ForgetExpiredKeys(ctx, now)
			return err
		},
		"delete unused body parts": func() error {
			_, err := s.DeleteUnusedParts(ctx, now)
			return err
		},
		"reencode bodies": func() error {
			_, err := s.ReencodeBodies(ctx, 10, nil)
			return err
		},
	} {
		if err := write(); !errors.Is(err, ErrFileGone) {
			t.Errorf("%s after the file went: %v, want ErrFileGone", name, err)
		}
	}
	// Nothing reached the file the store holds either.
	saved := savedBeside(t, path)
	if len(saved) != 1 {
		t.Fatalf("files saved beside %s: %q, want one", path, saved)
	}
	st, err := Open(ctx, saved[0], Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if keys, err := st.APIKeys(ctx); err != nil || len(keys) != 1 || keys[0].ID != "k1" {
		t.Errorf("saved keys %v (%v), want k1 alone", keys, err)
	}
	if accs, err := st.Accounts(ctx, ""); err != nil || len(accs) != 1 || accs[0].ID != "a@example.com" || accs[0].Calls != 0 {
		t.Errorf("saved accounts %+v (%v), want a@example.com unchanged", accs, err)
	}
	if c, err := st.QwenCredentials(ctx); err != nil || c.Token != "t" {
		t.Errorf("saved credentials %+v (%v), want token t", c, err)
	}
}

// A copy into a database whose file went wrote its keys and accounts
// into the file no one opens again, then stopped at its first call.
func TestACopyIntoAFileThatWentIsRefused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src.db"), filepath.Join(dir, "dst.db")
	openMigrated(t, src)
	openMigrated(t, dst)
	from, err := Open(ctx, src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer from.Close()
	if err := from.AddAPIKey(ctx, qp.APIKey{ID: "k1", Name: "one", Hash: "h1", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	to, err := Open(ctx, dst, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer to.Close()
	if err := os.Remove(dst); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlstore.Copy(ctx, from, to, nil); !errors.Is(err, ErrFileGone) {
		t.Fatalf("a copy into a file that went: %v, want ErrFileGone", err)
	}
	// What the file held is saved: its keys are those it had.
	saved := savedBeside(t, dst)
	if len(saved) != 1 {
		t.Fatalf("files saved beside %s: %q, want one", dst, saved)
	}
	st, err := Open(ctx, saved[0], Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if keys, err := st.APIKeys(ctx); err != nil || len(keys) != 0 {
		t.Errorf("keys written into the file that went: %v (%v)", keys, err)
	}
}

// A server idle when its database file is deleted has not noticed when it
// stops: nothing wrote or checked readiness in between. Its close is the
// last moment the calls it holds exist anywhere: the close saves them, and
// says where, as the first write or check after the deletion would have.
func TestADeletedFileIsSavedWhenTheStoreCloses(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "q.db")
	openMigrated(t, path)
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WriteBatch(ctx, oneCall("held")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	err = s.Close()
	saved := savedBeside(t, path)
	if len(saved) != 1 || !errors.Is(err, ErrFileGone) || !strings.Contains(err.Error(), saved[0]) {
		t.Fatalf("close after the file went: %v; saved %q", err, saved)
	}
	st, err := Open(ctx, saved[0], Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Request(ctx, "held"); err != nil {
		t.Fatalf("the saved file lacks the call: %v", err)
	}
}

// The database's whole directory removed under the server (an `rm -rf
// data/`) left nowhere to save the calls the connections hold: the copy
// failed with SQLite's "unable to open database file" and its tries each
// minute failed alike, so the stop lost them. The save makes the directory
// again, as the spool does, and copies them there.
func TestADeletedDirectoryIsMadeAgainToSaveTheFile(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "q.db")
	openMigrated(t, path)
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.WriteBatch(ctx, oneCall("before")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	err = s.WriteBatch(ctx, oneCall("after"))
	saved := savedBeside(t, path)
	if len(saved) != 1 || !errors.Is(err, ErrFileGone) || !strings.Contains(err.Error(), saved[0]) {
		t.Fatalf("a write after the directory went: %v; saved %q", err, saved)
	}
	if ids := requestIDsIn(t, saved[0]); len(ids) != 1 || ids[0] != "before" {
		t.Errorf("the saved file holds calls %q, want [before]", ids)
	}
}

// A save that failed is tried again a minute later, and the close did not
// try sooner: a server stopped within that minute — the operator having
// just freed the disk that refused the copy — freed the only copy of the
// calls without a word. The close is their last chance: it saves them
// whatever the time since the failed attempt.
func TestTheCloseSavesAgainAfterAFailedSave(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "q.db")
	openMigrated(t, path)
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WriteBatch(ctx, oneCall("held")); err != nil {
		t.Fatal(err)
	}
	// A file where the directory was: the save cannot make it again.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(ctx); !errors.Is(err, ErrFileGone) || !strings.Contains(err.Error(), "saving the calls it held failed") {
		t.Fatalf("a check while the save cannot be made: %v", err)
	}
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	err = s.Close()
	saved := savedBeside(t, path)
	if len(saved) != 1 || !errors.Is(err, ErrFileGone) || !strings.Contains(err.Error(), saved[0]) {
		t.Fatalf("close once the save can be made: %v; saved %q", err, saved)
	}
	if ids := requestIDsIn(t, saved[0]); len(ids) != 1 || ids[0] != "held" {
		t.Errorf("the saved file holds calls %q, want [held]", ids)
	}
}

// Notice (GET /health's look) saves a deleted file's calls in the
// background, as a write or a check meeting it does, and a close while that
// save runs waits for it: the close's own save then finds it done, and the
// calls are saved once.
func TestNoticeSavesADeletedFileBeforeTheClose(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "q.db")
	openMigrated(t, path)
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WriteBatch(ctx, oneCall("held")); err != nil {
		t.Fatal(err)
	}
	s.Notice() // the file in place: nothing to do
	s.Noticed()
	if saved := savedBeside(t, path); len(saved) != 0 {
		t.Fatalf("saved with the file in place: %q", saved)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	s.Notice()
	err = s.Close() // waits for the save Notice began
	saved := savedBeside(t, path)
	if len(saved) != 1 || !errors.Is(err, ErrFileGone) || !strings.Contains(err.Error(), saved[0]) {
		t.Fatalf("close after Notice: %v; saved %q, want one", err, saved)
	}
	s.Notice() // closed: begins nothing
	s.Noticed()
	if again := savedBeside(t, path); len(again) != 1 {
		t.Fatalf("saved after the close: %q, want the one", again)
	}
}
