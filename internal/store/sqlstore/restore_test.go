package sqlstore_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	qp "qwenproxy"
	"qwenproxy/internal/store"
	"qwenproxy/internal/store/sqlite"
	"qwenproxy/internal/store/sqlstore"
	"qwenproxy/internal/store/storetest"
)

// RestoreSettings brings a saved file's keys, accounts and credentials into
// the file made in its place, keeping what that one has already (a key
// added before the start, its own credentials), and gives no call there a
// numeric id the saved file gave: not even one of its deleted newest calls,
// whose ids SQLite would otherwise give again.
func TestRestoreSettingsKeepsWhatIsThereAndGivesNoIDTwice(t *testing.T) {
	ctx := context.Background()
	src, dst := storetest.Open(t, storetest.URL(t, "sqlite")), storetest.Open(t, storetest.URL(t, "sqlite"))
	at := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
	for _, id := range []string{"a", "b", "c"} {
		s, c := oneTurn(id, at)
		if err := src.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{s}, Exchanges: []qp.Exchange{c}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := src.DeleteSession(ctx, "c"); err != nil { // the newest call: its id stays given
		t.Fatal(err)
	}
	kept := qp.APIKey{ID: "k1", Name: "kept", Hash: "h1", CreatedAt: at, MaxConcurrent: 3}
	for _, k := range []qp.APIKey{kept, {ID: "k2", Name: "admin", Hash: "h2", Admin: true, CreatedAt: at}} {
		if err := src.AddAPIKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	if err := src.PutAccount(ctx, qp.AccountRecord{ID: "ada@example.com", Source: qp.AccountStored, PasswordSealed: "sealed", CreatedAt: at, UpdatedAt: at}); err != nil {
		t.Fatal(err)
	}
	if err := src.SetQwenCredentials(ctx, qp.QwenCredentials{Token: "old", Cookies: "c=old", UpdatedAt: at}); err != nil {
		t.Fatal(err)
	}
	// The new file has one of the keys already, and credentials of its own.
	if err := dst.AddAPIKey(ctx, kept); err != nil {
		t.Fatal(err)
	}
	if err := dst.SetQwenCredentials(ctx, qp.QwenCredentials{Token: "new", Cookies: "c=new", UpdatedAt: at}); err != nil {
		t.Fatal(err)
	}

	got, err := sqlstore.RestoreSettings(ctx, src, dst)
	if err != nil {
		t.Fatal(err)
	}
	if got.Keys != 1 || got.Accounts != 1 || got.Credentials || got.Floors["requests"] != 3 {
		t.Fatalf("restored %+v, want 1 key, 1 account, no credentials, requests after 3", got)
	}
	keys, err := dst.APIKeys(ctx)
	if err != nil || len(keys) != 2 {
		t.Fatalf("keys after the restore: %v %v", keys, err)
	}
	for _, k := range keys {
		if k.ID == "k1" && k.MaxConcurrent != 3 || k.ID == "k2" && (!k.Admin || k.Hash != "h2" || k.Name != "admin") {
			t.Fatalf("key changed by the restore: %+v", k)
		}
	}
	accounts, err := dst.Accounts(ctx, "")
	if err != nil || len(accounts) != 1 || accounts[0].PasswordSealed != "sealed" {
		t.Fatalf("accounts after the restore: %+v %v", accounts, err)
	}
	if c, err := dst.QwenCredentials(ctx); err != nil || c.Token != "new" {
		t.Fatalf("the new file's credentials replaced: %+v %v", c, err)
	}

	_, c := oneTurn("d", at.Add(time.Minute))
	if err := dst.WriteBatch(ctx, qp.Batch{Exchanges: []qp.Exchange{c}}); err != nil {
		t.Fatal(err)
	}
	if id := count(t, dst, `SELECT id FROM requests WHERE request_id = 'req-d'`); id <= 3 {
		t.Fatalf("the first call after the restore has id %d, given in the saved file already", id)
	}
	// Again (a second start on it): nothing more is brought.
	if got, err := sqlstore.RestoreSettings(ctx, src, dst); err != nil || got.Keys != 0 || got.Accounts != 0 {
		t.Fatalf("a second restore: %+v %v", got, err)
	}
}

// A copy into a SQLite file gives none of the source's numeric ids again,
// whoever made the file: the copied calls are renumbered, and the file
// gave the next call (or a copied one) the id a link to a source's call
// names — on a SQLite source even that of its deleted newest call. The
// source is of either backend (PostgreSQL's highest id held counts).
func TestCopyGivesNoIDOfTheSourceAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, srcURL string) {
		ctx := context.Background()
		src, dst := storetest.Open(t, srcURL), storetest.Open(t, storetest.URL(t, "sqlite"))
		at := time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli())
		for _, id := range []string{"a", "b", "c"} {
			s, c := oneTurn(id, at)
			if err := src.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{s}, Exchanges: []qp.Exchange{c}}); err != nil {
				t.Fatal(err)
			}
		}
		if src.Backend() == "sqlite" {
			if err := src.DeleteSession(ctx, "c"); err != nil { // the newest call: its id 3 stays given
				t.Fatal(err)
			}
		}
		if _, err := sqlstore.Copy(ctx, src, dst, func(sqlstore.CopyProgress) {}); err != nil {
			t.Fatal(err)
		}
		_, c := oneTurn("d", at.Add(time.Minute))
		if err := dst.WriteBatch(ctx, qp.Batch{Exchanges: []qp.Exchange{c}}); err != nil {
			t.Fatal(err)
		}
		if n := count(t, dst, `SELECT COUNT(*) FROM requests WHERE id <= 3`); n != 0 {
			t.Fatalf("%d calls of the copy's destination took an id the source gave (1 to 3)", n)
		}
		if n := count(t, dst, `SELECT COUNT(*) FROM responses WHERE id <= 3`); n != 0 {
			t.Fatalf("%d responses of the copy's destination took an id the source gave (1 to 3)", n)
		}
	})
}

// A copy into a database a server has open (its reader holding the WAL)
// brings the source's credentials: they replace nothing there, so that the
// journal cannot be emptied after they are stored (ErrNotErased) is no
// failure of the copy, which until then stopped at it, its calls not
// copied.
func TestCopyIntoADatabaseInUseBringsTheCredentials(t *testing.T) {
	ctx := context.Background()
	dstPath := storetest.URL(t, "sqlite")
	src := storetest.Open(t, storetest.URL(t, "sqlite"))
	dst := storetest.OpenWith(t, dstPath, store.Options{SQLite: sqlite.Options{BusyTimeoutMS: 100}})
	if err := src.SetQwenCredentials(ctx, qp.QwenCredentials{Cookies: "token=abc; cna=x", UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	s, c := oneTurn("a", time.UnixMilli(time.Now().Add(-time.Hour).UnixMilli()))
	if err := src.WriteBatch(ctx, qp.Batch{Sessions: []qp.Session{s}, Exchanges: []qp.Exchange{c}}); err != nil {
		t.Fatal(err)
	}
	// A server's reader: a read transaction on the destination's file,
	// open across the copy.
	reader, err := sql.Open("sqlite", dstPath)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	tx, err := reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM requests`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	p, err := sqlstore.Copy(ctx, src, dst, func(sqlstore.CopyProgress) {})
	if err != nil {
		t.Fatalf("copy into a database in use: %v", err)
	}
	if p.Calls != 1 || p.Resumed != 0 {
		t.Fatalf("copied %+v, want the one call", p)
	}
	if got, err := dst.QwenCredentials(ctx); err != nil || got.Cookies != "token=abc; cna=x" {
		t.Fatalf("the destination's credentials: %+v %v", got, err)
	}
}
