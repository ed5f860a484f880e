package sqlite

import (
	"context"
	"fmt"
	"os"
	"slices"

	"qwenproxy/internal/store/sqlstore"
)

// RestoredSave is what an Open that made its file brought in from the
// newest save beside it (see restoreSave).
type RestoredSave struct {
	From string // the save
	Into string // the file the Open made
	// Migrations is how many migrations the Open applied to the new file
	// (it has no tables before the settings can go in): the caller's own
	// Migrate then applies none.
	Migrations int
	sqlstore.Restored
}

// Copy is the command that brings the save's calls into the new file.
func (r RestoredSave) Copy() string {
	return "qwenproxy copy --from sqlite:" + r.From + " --to sqlite:" + r.Into
}

// String says what was brought in, for a command to print.
func (r RestoredSave) String() string {
	creds := "no stored credentials (the new file had its own, or the save none)"
	if r.Credentials {
		creds = "its stored credentials"
	}
	return fmt.Sprintf("%s was made anew beside %s, the saved history of a database file deleted under a server: "+
		"brought in from it API keys: %d, Qwen accounts: %d, and %s; no call id it gave (up to %d) is given again. "+
		"Its calls are not in the new file until copied: %s",
		r.Into, r.From, r.Keys, r.Accounts, creds, r.Floors["requests"], r.Copy())
}

// NewestSave is the newest whole save beside the SQLite file at path (see
// Saves; their names end in a sortable UTC time), "" for none.
func NewestSave(path string) (string, error) {
	saved, err := Saves(path)
	if err != nil || len(saved) == 0 {
		return "", err
	}
	slices.Sort(saved)
	return saved[len(saved)-1], nil
}

// restoreSave brings into s — the file at path that this Open made, where
// an earlier server's file was deleted or replaced under it — the settings
// of the newest save of that file (sqlstore.RestoreSettings). Whichever
// process makes the file first does it, serve or any command (keys add,
// credentials, migrate up, copy into it): a file made without them let the
// next server serve with none of the stored API keys (open to anyone, or
// to the one key just added), none of its Qwen accounts, and give the
// saved calls' numeric ids again (/v1/requests/1 became a later call). It
// migrates s first (the new file has no tables).
//
// A save it cannot read (damaged, another schema) fails the Open, which
// then removes the file it made: nothing is made without keys the file
// had, and the error says what to do. The calls stay for `qwenproxy
// copy`. A save named by opt.Copying is left to the caller, which copies
// it whole (its keys, id floors and calls) into the new file.
//
// It returns nil when no save is beside path.
func restoreSave(ctx context.Context, s *sqlstore.Store, path string, opt Options) (*RestoredSave, error) {
	saved, err := NewestSave(path)
	if err != nil {
		return nil, fmt.Errorf("look for a saved history to bring in: %w", err)
	}
	if saved == "" || opt.Copying != "" && sameFile(saved, opt.Copying) {
		return nil, nil
	}
	n, err := s.Migrate(ctx)
	if err != nil {
		return nil, err
	}
	got, err := restoreFrom(ctx, saved, s)
	if err != nil {
		return nil, fmt.Errorf("%s, the saved history of a database file deleted under an earlier server, cannot be read: %w; "+
			"nothing was made at %s: a new file there without its API keys, Qwen accounts and credentials would serve with none of them. "+
			"Copy them with `qwenproxy copy --from sqlite:%s --to sqlite:%s` (which reads an older schema too) and run the command again, "+
			"or move %s out of the directory to go on without them", saved, err, path, saved, path, saved)
	}
	return &RestoredSave{From: saved, Into: path, Migrations: n, Restored: got}, nil
}

// restoreFrom opens the save at path without changing it and brings its
// settings into st. A save of another schema than st's is refused: its
// tables may lack a column the settings are read from.
func restoreFrom(ctx context.Context, path string, st *sqlstore.Store) (sqlstore.Restored, error) {
	src, err := OpenReadOnly(ctx, path, Options{})
	if err != nil {
		return sqlstore.Restored{}, err
	}
	defer src.Close()
	status, err := src.MigrationStatus(ctx)
	if err != nil {
		return sqlstore.Restored{}, err
	}
	if err := sqlstore.RefuseSchema(status); err != nil {
		return sqlstore.Restored{}, err
	}
	if i := slices.IndexFunc(status, func(m sqlstore.MigrationStatus) bool { return m.AppliedAt.IsZero() }); i >= 0 {
		return sqlstore.Restored{}, fmt.Errorf("its schema is older than this qwenproxy's (migration %d, %s, not applied)", status[i].Version, status[i].Name)
	}
	return sqlstore.RestoreSettings(ctx, src, st)
}

// sameFile reports whether paths a and b name one file.
func sameFile(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return samePath(a, b)
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}
