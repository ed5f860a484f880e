package accounts

import (
	"sync"

	"qwenproxy/internal/qwen"
	"qwenproxy/internal/redact"
)

// knownAll is the masker of every account's secrets (Pool.Known) and what
// it was built from, kept until an account's credentials change.
type knownAll struct {
	mu    sync.Mutex
	from  map[string]knownFrom // by account id
	known *redact.Known
}

// knownFrom is what of an account its masker holds.
type knownFrom struct{ cookies, umid, password string }

func knownFromOf(a *account) knownFrom {
	return knownFrom{cookies: a.cookies, umid: a.umid, password: a.password}
}

// Known masks the secrets of every account of the pool, in any of the
// forms redact.Known masks: the Cookie header each one sends (its login
// token and every cookie's value), its bx-umidtoken, its password and the
// password's digest (qwen.KnownOf). A record masks them wherever they
// stand, whichever account served its call: a client's body may carry a
// token it read from the proxy's own configuration. The masker is built
// (some 25 µs an account) only when an account's credentials changed (a
// sign-in, a refresh, an account added or removed); otherwise Known costs
// a look at each account under the pool's lock. nil for no secrets, or a
// nil Pool.
func (p *Pool) Known() *redact.Known {
	if p == nil {
		return nil
	}
	p.known.mu.Lock()
	defer p.known.mu.Unlock()
	p.mu.Lock()
	same := p.known.from != nil && len(p.known.from) == len(p.accounts)
	for id, a := range p.accounts {
		if !same {
			break
		}
		same = p.known.from[id] == knownFromOf(a)
	}
	if same {
		p.mu.Unlock()
		return p.known.known
	}
	from := make(map[string]knownFrom, len(p.accounts))
	creds := make([]qwen.Credentials, 0, len(p.accounts))
	for id, a := range p.accounts {
		from[id] = knownFromOf(a)
		creds = append(creds, qwen.Credentials{Token: a.umid, Cookies: a.cookies, Conceal: a.conceal})
	}
	p.mu.Unlock()
	p.known.from, p.known.known = from, qwen.KnownOf(creds...)
	return p.known.known
}
