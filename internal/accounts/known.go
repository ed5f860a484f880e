package accounts

import (
	"slices"
	"sync"

	"qwenproxy/internal/qwen"
	"qwenproxy/internal/redact"
)

// knownAll is the masker of every account's secrets (Pool.Known) and what
// it was built from, kept until an account's credentials change.
type knownAll struct {
	mu sync.Mutex
	// held are the secrets the masker was built from, by account id;
	// retired, the secrets accounts held before (a token a refresh or a
	// sign-in replaced, an account removed), newest last, at most
	// maxRetired: a client may still carry one it read earlier.
	held    map[string]heldSecrets
	retired []heldSecrets
	// stored are the tokens the store holds that Load read: all of them,
	// however many (retired keeps maxRetired).
	stored []qwen.Credentials
	known  *redact.Known
}

// heldSecrets are an account's secrets: what tells them apart (from) and
// the credentials they are masked as.
type heldSecrets struct {
	from  knownFrom
	creds qwen.Credentials
}

// maxRetired bounds the earlier secrets the masker keeps: each costs the
// masker's build (some 25 µs a set) and its screen a few patterns.
const maxRetired = 16

// knownFrom is what of an account its masker holds.
type knownFrom struct{ cookies, umid, password string }

func knownFromOf(a *account) knownFrom {
	return knownFrom{cookies: a.cookies, umid: a.umid, password: a.password}
}

// Known masks the secrets of every account of the pool, in any of the
// forms redact.Known masks: the Cookie header each one sends (its login
// token and every cookie's value), its bx-umidtoken, its password and the
// password's digest (qwen.KnownOf), and the secrets accounts held earlier
// in the process's life (a token a refresh or a sign-in replaced, an
// account removed; the last maxRetired sets). A record masks them wherever
// they stand, whichever account served its call: a client's body may carry
// a token it read from the proxy's own configuration, earlier. The masker is built
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
	same := p.known.held != nil && len(p.known.held) == len(p.accounts)
	for id, a := range p.accounts {
		if !same {
			break
		}
		same = p.known.held[id].from == knownFromOf(a)
	}
	if same {
		p.mu.Unlock()
		return p.known.known
	}
	held := make(map[string]heldSecrets, len(p.accounts))
	for id, a := range p.accounts {
		held[id] = heldSecrets{knownFromOf(a), qwen.Credentials{Token: a.umid, Cookies: a.cookies, Conceal: a.conceal}}
	}
	p.mu.Unlock()
	for id, was := range p.known.held {
		if held[id].from != was.from {
			p.known.retire(was)
		}
	}
	creds := make([]qwen.Credentials, 0, len(held)+len(p.known.retired)+len(p.known.stored))
	for _, h := range held {
		creds = append(creds, h.creds)
	}
	for _, r := range p.known.retired {
		creds = append(creds, r.creds)
	}
	creds = append(creds, p.known.stored...)
	p.known.held, p.known.known = held, qwen.KnownOf(creds...)
	return p.known.known
}

// retire keeps the secrets an account no longer holds, the oldest
// forgotten past maxRetired.
func (k *knownAll) retire(was heldSecrets) {
	if was.from == (knownFrom{}) {
		return
	}
	k.retired = slices.DeleteFunc(k.retired, func(r heldSecrets) bool { return r.from == was.from })
	k.retired = append(k.retired, was)
	if len(k.retired) > maxRetired {
		k.retired = slices.Delete(k.retired, 0, len(k.retired)-maxRetired)
	}
}
