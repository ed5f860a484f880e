package accounts

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkCallBookkeeping is what the pool adds to one call: pick an
// account, read its credentials, report the outcome (10 signed-in accounts).
func BenchmarkCallBookkeeping(b *testing.B) {
	var logins []Login
	for i := range 10 {
		logins = append(logins, Login{Email: fmt.Sprintf("a%d@x.io", i), Password: "pw"})
	}
	p := New(Config{Logins: logins, SignIn: func(context.Context, Login) (SignedIn, error) {
		return SignedIn{Cookies: "token=x", Expires: time.Now().Add(time.Hour)}, nil
	}})
	for _, l := range logins {
		if _, err := p.Credentials(With(context.Background(), l.Email)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		id, err := p.Pick(nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Credentials(With(context.Background(), id)); err != nil {
			b.Fatal(err)
		}
		p.Report(id, nil)
	}
}
