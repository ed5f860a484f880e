package qwensim

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Accounts: once any account is added, the simulator behaves like Qwen for
// signed-in users (qwen-2026.md §1.2–1.3): POST /api/v1/auths/signin takes
// {"email", "password": lower-case hex SHA-256}, from the web client only
// (checkSignIn: the headers every call must carry), and answers with a JWT
// ({id, last_password_change, exp}) in the body's "token" and a token
// cookie; a chat's or a file's call carrying a token (cookie token= or
// Authorization: Bearer) is refused with 401 "Token has expired" once it is
// past its exp or expired on request (the model list is served whatever the
// token: no capture shows Qwen's answer there); a chat and an uploaded
// document belong to the account that created them (other accounts get "not
// found"); and an account can be put over its daily quota
// (RateLimited with num hours). Calls without any token are served as
// before (the pasted-cookie tests).
// EndpointSignIn names sign-in calls in Calls.
const EndpointSignIn = "auths/signin"

type accountBook struct {
	mu       sync.Mutex
	secret   []byte
	ttl      time.Duration
	byEmail  map[string]*simAccount
	byID     map[string]*simAccount
	owners   map[string]string // chat id → account id
	signIns  map[string]int
	failNext map[string]int // sign-in attempts to answer with a firewall page
}

type simAccount struct {
	id, email, passwordHash string
	expiredBefore           time.Time // tokens issued before this are expired
	rateLimitedHours        int       // >0: completions answer RateLimited
}

func newAccountBook() *accountBook {
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	return &accountBook{secret: secret, ttl: time.Hour, byEmail: map[string]*simAccount{}, byID: map[string]*simAccount{},
		owners: map[string]string{}, signIns: map[string]int{}, failNext: map[string]int{}}
}

// AddAccount registers an account (e-mail compared case-insensitively).
func (s *Sim) AddAccount(email, password string) {
	b := s.accounts
	b.mu.Lock()
	defer b.mu.Unlock()
	sum := sha256.Sum256([]byte(password))
	a := &simAccount{id: newID(), email: strings.ToLower(email), passwordHash: hex.EncodeToString(sum[:])}
	b.byEmail[a.email], b.byID[a.id] = a, a
}

// SetTokenTTL sets the lifetime of the JWTs issued from now on (default 1 h).
func (s *Sim) SetTokenTTL(d time.Duration) {
	s.accounts.mu.Lock()
	s.accounts.ttl = d
	s.accounts.mu.Unlock()
}

// ExpireTokens makes every token issued to email so far expired, as if
// their exp had passed.
func (s *Sim) ExpireTokens(email string) {
	s.withAccount(email, func(a *simAccount) { a.expiredBefore = time.Now() })
}

// RateLimit puts email over its daily quota for hours (0 lifts it).
func (s *Sim) RateLimit(email string, hours int) {
	s.withAccount(email, func(a *simAccount) { a.rateLimitedHours = hours })
}

// ChangePassword sets email's password, as its owner would on Qwen's site:
// sign-ins with the old one are refused from now on, and the tokens issued
// before are refused as expired (a token carries last_password_change,
// qwen-2026.md §1.2).
func (s *Sim) ChangePassword(email, password string) {
	sum := sha256.Sum256([]byte(password))
	s.withAccount(email, func(a *simAccount) { a.passwordHash, a.expiredBefore = hex.EncodeToString(sum[:]), time.Now() })
}

// FailSignIns answers the next n sign-ins of email with a firewall page.
func (s *Sim) FailSignIns(email string, n int) {
	s.accounts.mu.Lock()
	s.accounts.failNext[strings.ToLower(email)] = n
	s.accounts.mu.Unlock()
}

// SignIns is how many successful sign-ins email has had.
func (s *Sim) SignIns(email string) int {
	s.accounts.mu.Lock()
	defer s.accounts.mu.Unlock()
	return s.accounts.signIns[strings.ToLower(email)]
}

// ChatAccount is the e-mail of the account that created chatID ("" for a
// chat made without a token).
func (s *Sim) ChatAccount(chatID string) string {
	s.accounts.mu.Lock()
	defer s.accounts.mu.Unlock()
	if a := s.accounts.byID[s.accounts.owners[chatID]]; a != nil {
		return a.email
	}
	return ""
}

func (s *Sim) withAccount(email string, f func(*simAccount)) {
	s.accounts.mu.Lock()
	defer s.accounts.mu.Unlock()
	if a := s.accounts.byEmail[strings.ToLower(email)]; a != nil {
		f(a)
	}
}

// signIn serves POST /api/v1/auths/signin.
func (s *Sim) signIn(w http.ResponseWriter, r *http.Request) {
	var req struct{ Email, Password string }
	body, _ := readBody(r)
	s.record(Call{Endpoint: EndpointSignIn, Header: r.Header.Clone()}) // not the body: it holds the password's hash
	// A sign-in fails as Qwen's do (qwen-2026.md §1.2, §5: a 401, a 405, the
	// gateway's 504, the WAF): injected faults reach it as they reach the
	// other calls, so a server run with --mock-upstream can be shown them.
	if s.applyFault(w, r, s.takeFault(EndpointSignIn)) {
		return
	}
	if !s.checkSignIn(w, r) {
		return
	}
	if err := json.Unmarshal(body, &req); err != nil || req.Email == "" || req.Password == "" {
		writeEnvelope(w, CodeBadRequest, "email and password are required", http.StatusBadRequest)
		return
	}
	b := s.accounts
	b.mu.Lock()
	email := strings.ToLower(req.Email)
	if b.failNext[email] > 0 {
		b.failNext[email]--
		b.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, firewallPage)
		return
	}
	a := b.byEmail[email]
	if a == nil || a.passwordHash != req.Password {
		b.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"detail":"The email or password provided is incorrect. Please check for typos and try logging in again."}`)
		return
	}
	b.signIns[email]++
	exp := time.Now().Add(b.ttl)
	token := b.jwt(a.id, exp)
	b.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: "token", Value: token, Path: "/", Expires: exp, HttpOnly: true})
	jsonAnswer(w)
	json.NewEncoder(w).Encode(map[string]any{"id": a.id, "email": a.email, "name": a.email, "role": "user",
		"token": token, "token_type": "Bearer", "expires_at": exp.Unix()})
}

// issuer is the iss claim of the tokens a simulator's sign-in issues.
const issuer = "qwensim"

// jwt issues an HS256 token. b.mu is held.
func (b *accountBook) jwt(id string, exp time.Time) string {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	claims, _ := json.Marshal(map[string]any{"id": id, "last_password_change": 0, "exp": exp.Unix(), "iat": time.Now().UnixMicro(), "iss": issuer})
	payload := header + "." + enc.EncodeToString(claims)
	mac := hmac.New(sha256.New, b.secret)
	mac.Write([]byte(payload))
	return payload + "." + enc.EncodeToString(mac.Sum(nil))
}

// accountOf identifies the account of a request: "" without a token of one
// of the accounts. An account's token that is forged or expired gets a 401
// and ok=false.
func (s *Sim) accountOf(w http.ResponseWriter, r *http.Request) (id string, ok bool) {
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if c, err := r.Cookie("token"); err == nil && c.Value != "" {
		token = c.Value
	}
	b := s.accounts
	b.mu.Lock()
	defer b.mu.Unlock()
	if token == "" {
		return "", true
	}
	refuse := func(details string) (string, bool) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write(envelope(&Fault{Envelope: CodeUnauthorized, Details: details}))
		return "", false
	}
	parts := strings.Split(token, ".")
	var claims struct {
		ID  string `json:"id"`
		Exp int64  `json:"exp"`
		Iat int64  `json:"iat"`
		Iss string `json:"iss"`
	}
	if len(parts) == 3 {
		raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
		_ = json.Unmarshal(raw, &claims)
	}
	if len(b.byID) == 0 {
		// No accounts: a pasted token is served, unless it says it has
		// expired, which Qwen refuses whoever signed it in.
		if claims.Exp > 0 && time.Now().Unix() >= claims.Exp {
			return refuse("Token has expired")
		}
		return "", true
	}
	if len(parts) != 3 {
		return refuse("Invalid token")
	}
	a := b.byID[claims.ID]
	if a == nil && claims.Iss == issuer {
		// A simulator's sign-in issued it, not this one's: a previous
		// run's token, which a restarted server read back from its
		// database. Served as anyone's, it escaped the rate limits and
		// expiries set on its account; Qwen refuses a token it cannot
		// verify, and the proxy signs in again.
		return refuse("Invalid token")
	}
	if a == nil {
		// Not one of the accounts (a pasted LoginCookie): served as
		// before, unless it says it has expired, which Qwen refuses
		// whoever signed it in.
		if claims.Exp > 0 && time.Now().Unix() >= claims.Exp {
			return refuse("Token has expired")
		}
		return "", true
	}
	mac := hmac.New(sha256.New, b.secret)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if sig, err := base64.RawURLEncoding.DecodeString(parts[2]); err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		return refuse("Invalid token")
	}
	if time.Now().Unix() >= claims.Exp || !time.UnixMicro(claims.Iat).After(a.expiredBefore) {
		return refuse("Token has expired")
	}
	return a.id, true
}

// rateLimited answers a completion of an account over its quota.
func (s *Sim) rateLimited(w http.ResponseWriter, id string) bool {
	s.accounts.mu.Lock()
	a := s.accounts.byID[id]
	hours := 0
	if a != nil {
		hours = a.rateLimitedHours
	}
	s.accounts.mu.Unlock()
	if hours <= 0 {
		return false
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Actual-Status-Code", strconv.Itoa(http.StatusTooManyRequests))
	w.Write(envelope(&Fault{Envelope: CodeRateLimited, Details: QuotaDetails, Template: QuotaTemplate, Num: hours}))
	return true
}

// own records that account id created chatID.
func (s *Sim) own(chatID, id string) {
	s.accounts.mu.Lock()
	s.accounts.owners[chatID] = id
	s.accounts.mu.Unlock()
}

// disown forgets who created chatID (deleted).
func (s *Sim) disown(chatID string) {
	s.accounts.mu.Lock()
	delete(s.accounts.owners, chatID)
	s.accounts.mu.Unlock()
}

// owns reports whether account id may use chatID: Qwen's chats are per
// account, and another account's chat is "not found".
func (s *Sim) owns(chatID, id string) bool {
	s.accounts.mu.Lock()
	defer s.accounts.mu.Unlock()
	owner, known := s.accounts.owners[chatID]
	return !known || owner == id
}

// accountsHTTP serves POST /__sim/accounts for tests driving a separate
// process: {"add":[{"email","password"}], "rate_limit":{"email","hours"},
// "expire":"email", "token_ttl_ms":n, "password":{"email","password"}}.
func (s *Sim) accountsHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Add       []struct{ Email, Password string } `json:"add"`
		RateLimit *struct {
			Email string `json:"email"`
			Hours int    `json:"hours"`
		} `json:"rate_limit"`
		Expire     string                            `json:"expire"`
		TokenTTLMS int64                             `json:"token_ttl_ms"`
		Password   *struct{ Email, Password string } `json:"password"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "bad accounts request: "+err.Error(), http.StatusBadRequest)
		return
	}
	for _, a := range req.Add {
		s.AddAccount(a.Email, a.Password)
	}
	if req.RateLimit != nil {
		s.RateLimit(req.RateLimit.Email, req.RateLimit.Hours)
	}
	if req.Expire != "" {
		s.ExpireTokens(req.Expire)
	}
	if req.Password != nil {
		s.ChangePassword(req.Password.Email, req.Password.Password)
	}
	if req.TokenTTLMS > 0 {
		s.SetTokenTTL(time.Duration(req.TokenTTLMS) * time.Millisecond)
	}
	w.WriteHeader(http.StatusNoContent)
}
