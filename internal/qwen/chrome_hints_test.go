package qwen

import (
	"context"
	"testing"
)

// The sec-ch-ua header is the one Google Chrome of the User-Agent's version
// sends (qwen-2026.md (a)9: a current Chrome "with matching sec-ch-ua*"):
// Chrome derives its GREASE brand, that brand's version and the brands'
// order from its major version, so a list of another version's pattern is no
// Chrome's. The 149 sent was Chrome 136's list with the number changed.
// The lists expected are browser captures of each version.
func TestClientHintsAreThoseOfTheChromeTheUserAgentNames(t *testing.T) {
	rec := &recording{}
	srv := rec.serve(t)
	c := New(Config{BaseURL: srv.URL, Credentials: StaticCredentials{Cookies: "token=" + testJWT(4102444800)}})
	if _, err := c.Models(context.Background()); err != nil {
		t.Fatal(err)
	}
	const chrome149 = `"Google Chrome";v="149", "Chromium";v="149", "Not)A;Brand";v="24"`
	if got := rec.calls[0].Header.Get("sec-ch-ua"); got != chrome149 {
		t.Errorf("sec-ch-ua %q, want Chrome 149's %q", got, chrome149)
	}
	for version, want := range map[string]string{
		"120": `"Not_A Brand";v="8", "Chromium";v="120", "Google Chrome";v="120"`,
		"124": `"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"`,
		"131": `"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"`,
		"134": `"Chromium";v="134", "Not:A-Brand";v="24", "Google Chrome";v="134"`,
		"136": `"Chromium";v="136", "Google Chrome";v="136", "Not.A/Brand";v="99"`,
		"138": `"Not)A;Brand";v="8", "Chromium";v="138", "Google Chrome";v="138"`,
		"149": chrome149,
	} {
		if got := chromeBrands(version); got != want {
			t.Errorf("Chrome %s: %q, want %q", version, got, want)
		}
	}
}
