package qwen

import (
	"cmp"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultWebVersion is the `Version` header: the version of Qwen's web
// client, which its API checks (missing → Bad_Request "Internal error…",
// qwen-2026.md §1.1). 0.3.11 is the newest seen, in a browser capture of
// 2026-09-25 (qwen-wire.md S7). It is the first thing to change
// (QWEN_WEB_VERSION) when Qwen starts refusing every call.
const DefaultWebVersion = "0.3.11"

// chromeMajor is the desktop Chrome the default User-Agent and client hints
// claim to be (the working peers of August 2026 sent Chrome 149).
const chromeMajor = "149"

// DefaultUserAgent is a current desktop Chrome; without a browser's UA Qwen
// answers with a firewall page.
const DefaultUserAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/" + chromeMajor + ".0.0.0 Safari/537.36"

// clientHints are the headers Chrome sends with DefaultUserAgent. They are
// left out for any other User-Agent, which they would contradict.
var clientHints = [][2]string{
	{"sec-ch-ua", chromeBrands(chromeMajor)},
	{"sec-ch-ua-mobile", "?0"},
	{"sec-ch-ua-platform", `"Windows"`},
	{"sec-fetch-dest", "empty"},
	{"sec-fetch-mode", "cors"},
	{"sec-fetch-site", "same-origin"},
}

// Referers of the web client's pages that make each call.
const (
	refererNewChat = "/c/new-chat" // chats/new and the model list
	refererChat    = "/c/"         // + chat id: a completion
	// refererGuest is the guest web client's one page, every call of a
	// guest comes from it (qwen-2026.md §1.2, Q2Go's guest protocol).
	refererGuest = "/c/guest"
)

// setHeaders gives a call the headers of the current web client (every 2026
// peer sends them; qwen-2026.md §1.1, §1.6): the credentials (Cookie,
// Authorization: Bearer with a login token, bx-umidtoken when configured),
// a fresh x-request-id (its absence drew the firewall page in June 2026),
// source, Version, timezone, Origin and Referer (page, then chatID, is the
// path of the page the call comes from), and a browser's User-Agent with
// its hints.
func (c *Client) setHeaders(r *http.Request, creds Credentials, page, chatID string) {
	// The headers every call with creds carries alike (the fixed ones and
	// the credentials') are a template built once per credentials, cloned
	// whole: a map filled key by key (hashing each of some twenty keys into
	// it) cost twice what a clone of one built with the room for this
	// request's own does. Keys are in canonical form, set directly: Set
	// would canonicalise them anew on every request. What the credentials
	// give (Cookie, Authorization, bx-umidtoken, the chat mode) is worked
	// out once per credentials (signed) and shared.
	sig := c.masks.signed(creds)
	h := maps.Clone(sig.headers(c.fixed))
	// A header the caller set stays unless a template's replaces it, as
	// when the template's were set over the caller's.
	for k, v := range r.Header {
		if _, ok := h[k]; !ok {
			h[k] = v
		}
	}
	r.Header = h
	if r.Body != nil {
		h["Content-Type"] = jsonContentType
	}
	// The values of this request's own share one array, each a slice of
	// it at full capacity (an Add copies it), instead of one allocation
	// each.
	vals := make([]string, 3)
	vals[0], vals[1] = newUUID(), c.timezone(c.now())
	vals[2] = c.referer(page, chatID, sig.chatMode == ChatModeGuest)
	h["X-Request-Id"], h["Timezone"], h["Referer"] = vals[0:1:1], vals[1:2:2], vals[2:3:3]
}

// headerTemplate is what setHeaders clones for a request: fixed (the
// client's fixedHeaders) and the credentials' Cookie, Authorization and
// Bx-Umidtoken, those there are, in a map made with room for every header
// a request adds (perRequestHeaders), so that setting them grows no clone.
func headerTemplate(fixed http.Header, sig *signed) http.Header {
	h := make(http.Header, len(fixed)+perRequestHeaders)
	for k, v := range fixed {
		h[k] = v
	}
	if sig.cookie != nil {
		h["Cookie"] = sig.cookie
	}
	if sig.authorization != nil {
		h["Authorization"] = sig.authorization
	}
	if sig.umidToken != nil {
		h["Bx-Umidtoken"] = sig.umidToken
	}
	return h
}

// referer is the Referer of a call from page (with chatID appended, when
// given), or from the guest client's one page. A chat's page is built in
// one concatenation; the pages without a chat's id are built once per
// client (pages): two strings every call built anew.
func (c *Client) referer(page, chatID string, guest bool) string {
	switch {
	case guest:
		return c.pages.guest
	case chatID != "":
		return c.cfg.BaseURL + page + chatID
	case page == refererNewChat:
		return c.pages.newChat
	}
	return c.cfg.BaseURL + page
}

// pageURLs are a client's Referers that name no chat (referer).
type pageURLs struct{ newChat, guest string }

func newPageURLs(baseURL string) pageURLs {
	return pageURLs{newChat: baseURL + refererNewChat, guest: baseURL + refererGuest}
}

// perRequestHeaders counts the headers setHeaders sets besides the fixed
// ones: Cookie, Authorization, Bx-Umidtoken, X-Request-Id, Timezone,
// Referer, and Content-Type (a shared value).
const perRequestHeaders = 7

// jsonContentType is the Content-Type of every request with a body; shared,
// never appended to (its capacity is its length).
var jsonContentType = []string{"application/json"}

// fixedHeaders are the headers setHeaders gives every call alike, built once
// per client (canonical keys) rather than set one by one on each request.
// Requests share the values: each is a one-element slice at full capacity,
// so that an Add on one request copies it instead of writing into it.
func fixedHeaders(cfg Config) http.Header {
	h := http.Header{}
	h.Set("User-Agent", cfg.UserAgent)
	if cfg.UserAgent == DefaultUserAgent {
		for _, kv := range clientHints {
			h.Set(kv[0], kv[1])
		}
	}
	h.Set("Accept", "application/json") // also for the event stream, as the web client does
	h.Set("Accept-Language", "en-US,en;q=0.9")
	h.Set("source", "web")
	h.Set("Version", cfg.WebVersion)
	h.Set("Origin", cfg.BaseURL)
	for k, v := range h {
		h[k] = v[:len(v):len(v)]
	}
	return h
}

// WebHeaders are the headers every call to baseURL carries alike, with the
// default User-Agent and web version: what fixedHeaders gives a client
// configured with nothing else. The benchmark floor (internal/benchfloor)
// sends them so that its upstream requests are the proxy's.
func WebHeaders(baseURL string) http.Header {
	return fixedHeaders(Config{BaseURL: strings.TrimRight(baseURL, "/"), UserAgent: DefaultUserAgent, WebVersion: DefaultWebVersion})
}

// PageHeaders are the headers of a call the web client makes from page (a
// path of cfg.BaseURL) at now, credentials aside: those every call carries
// alike (fixedHeaders: the User-Agent with its client hints, Accept,
// Accept-Language, source, Version, Origin), a fresh x-request-id, the
// timezone and the Referer of page. A request made outside a Client — the
// sign-in (internal/accounts) — sends them, so that it looks like every
// other call of the browser it claims to be. cfg's BaseURL, UserAgent and
// WebVersion are read, with New's defaults.
func PageHeaders(cfg Config, page string, now time.Time) http.Header {
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	cfg.UserAgent = cmp.Or(cfg.UserAgent, DefaultUserAgent)
	cfg.WebVersion = cmp.Or(cfg.WebVersion, DefaultWebVersion)
	h := fixedHeaders(cfg).Clone()
	h.Set("X-Request-Id", newUUID())
	h.Set("Timezone", browserTimezone(now))
	h.Set("Referer", cfg.BaseURL+page)
	return h
}

// timezone is browserTimezone(t), formatted once a second: the header
// names a second, and formatting it was a quarter of the time setting a
// request's headers took. The same second in the same location always
// reads the same.
func (c *Client) timezone(t time.Time) string {
	sec, loc := t.Unix(), t.Location()
	if last := c.tz.Load(); last != nil && last.sec == sec && last.loc == loc {
		return last.text
	}
	text := browserTimezone(t)
	c.tz.Store(&timezoneStamp{sec: sec, loc: loc, text: text})
	return text
}

// timezoneStamp is the timezone header of one second (Client.timezone).
type timezoneStamp struct {
	sec  int64
	loc  *time.Location
	text string
}

// BrowserTimezone is the timezone header for t (see browserTimezone).
func BrowserTimezone(t time.Time) string { return browserTimezone(t) }

// browserTimezone is JavaScript's Date().toString() reduced to ASCII, as the
// web client sends it: "Mon Nov 30 2026 11:45:00 GMT+0000".
func browserTimezone(t time.Time) string {
	return t.Format("Mon Jan 02 2006 15:04:05 GMT-0700")
}

// chromeBrands is the sec-ch-ua header Google Chrome of a major version
// sends: its two brands and a "GREASE" brand whose name, version and place
// in the list Chrome derives from the major version (Chromium's
// GenerateBrandVersionList; browser captures: 120 `"Not_A Brand";v="8",
// "Chromium";v="120", "Google Chrome";v="120"`, 136 `"Chromium";v="136",
// "Google Chrome";v="136", "Not.A/Brand";v="99"`, 149 `"Google
// Chrome";v="149", "Chromium";v="149", "Not)A;Brand";v="24"`). A list
// that does not follow it is no Chrome's: a firewall that scores requests
// can tell (the 149 sent before was 136's list with the number changed).
func chromeBrands(v string) string {
	const greaseChars = " (:-./);=?_"
	greaseVersions := [...]string{"8", "99", "24"}
	orders := [...][3]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}
	major, _ := strconv.Atoi(v) // a constant of digits
	grease := `"Not` + greaseChars[major%len(greaseChars):][:1] + "A" + greaseChars[(major+1)%len(greaseChars):][:1] +
		`Brand";v="` + greaseVersions[major%len(greaseVersions)] + `"`
	var list [3]string
	order := orders[major%len(orders)]
	list[order[0]], list[order[1]], list[order[2]] = grease, `"Chromium";v="`+v+`"`, `"Google Chrome";v="`+v+`"`
	return strings.Join(list[:], ", ")
}
