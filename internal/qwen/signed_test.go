package qwen

import (
	"context"
	"net/http"
	"slices"
	"testing"
)

// TestSignedValuesAreTheCredentials: what a request's headers and bodies
// take from the credentials, worked out once per credentials and kept, is
// what the credentials' own methods say, for every form they come in.
func TestSignedValuesAreTheCredentials(t *testing.T) {
	jwt := testJWT(4102444800)
	k := newKnownCache()
	for _, c := range []Credentials{
		{Cookies: "a=1; token=" + jwt},
		{Token: "T2gA", Cookies: "token=" + jwt},
		{Token: "T2gA", Cookies: "acw_tc=1"},
		{Cookies: "acw_tc=1"},
		{Token: "T2gA"},
		{Token: jwt, Cookies: "acw_tc=1;"},
		{Token: jwt},
		{},
		{Cookies: "token=" + jwt, Conceal: []string{"password", "digest"}},
	} {
		for _, got := range []*signed{k.signed(c), k.signed(c), (*knownCache)(nil).signed(c)} {
			one := func(v string) []string {
				if v == "" {
					return nil
				}
				return []string{v}
			}
			auth := []string(nil)
			if c.LoginToken() != "" {
				auth = []string{"Bearer " + c.LoginToken()}
			}
			if !slices.Equal(got.cookie, one(c.CookieHeader())) || !slices.Equal(got.authorization, auth) ||
				!slices.Equal(got.umidToken, one(c.UmidToken())) || got.chatMode != c.ChatMode() {
				t.Errorf("%+v: signed %+v", c, *got)
			}
		}
	}
}

// rotating hands out each of its credentials in turn.
type rotating struct{ creds []Credentials }

func (r *rotating) Credentials(context.Context) (Credentials, error) {
	c := r.creds[0]
	r.creds = append(r.creds[1:], c)
	return c, nil
}

// TestEachCallIsSignedWithItsOwnCredentials: with the credentials changing
// between calls (an account's token renewed, a pool's accounts taking
// turns), each call carries its own, not those the client kept from an
// earlier call.
func TestEachCallIsSignedWithItsOwnCredentials(t *testing.T) {
	rec := &recording{}
	srv := rec.serve(t)
	jwt1, jwt2 := testJWT(4102444800), testJWT(4102444801)
	src := &rotating{creds: []Credentials{
		{Cookies: "token=" + jwt1},
		{Cookies: "token=" + jwt2, Conceal: []string{"password", "digest"}},
		{Token: "T2gA", Cookies: "acw_tc=1"},
	}}
	c := New(Config{BaseURL: srv.URL, Credentials: src})
	for range 6 {
		if _, _, err := c.NewChat(context.Background(), "qwen3-max"); err != nil {
			t.Fatal(err)
		}
	}
	want := []http.Header{
		{"Cookie": {"token=" + jwt1}, "Authorization": {"Bearer " + jwt1}},
		{"Cookie": {"token=" + jwt2}, "Authorization": {"Bearer " + jwt2}},
		{"Cookie": {"acw_tc=1"}, "Bx-Umidtoken": {"T2gA"}},
	}
	for i, r := range rec.calls {
		w := want[i%len(want)]
		for _, k := range []string{"Cookie", "Authorization", "Bx-Umidtoken"} {
			if r.Header.Get(k) != w.Get(k) {
				t.Errorf("call %d: %s %q, want %q", i, k, r.Header.Get(k), w.Get(k))
			}
		}
	}
}
