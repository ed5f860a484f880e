package imagefetch

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// PublicTransport fetches from public addresses only, for the proxy's
// fetches of URLs it did not choose (a generated image's, which Qwen's
// answer names): checked on the address dialled, so that a name cannot
// point inward, as a Fetcher of the Public policy checks it; through a
// proxy of the environment (HTTPS_PROXY), whose own address is dialled, on
// the addresses the name has. A refusal is a *BlockedError.
var PublicTransport http.RoundTripper = publicOnly{
	direct:  transport(nil, (&Fetcher{Policy: Public}).checkDial),
	proxied: transport(checkedProxy, nil),
}

func transport(proxy func(*http.Request) (*url.URL, error), control func(string, string, syscall.RawConn) error) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = proxy
	t.DialContext = (&net.Dialer{Timeout: 30 * time.Second, Control: control}).DialContext
	return t
}

// checkedProxy is the environment's proxy for r, once r's host is found
// public.
func checkedProxy(r *http.Request) (*url.URL, error) {
	p, err := http.ProxyFromEnvironment(r)
	if p == nil || err != nil {
		return p, err
	}
	if err := publicHost(r.Context(), r.URL.Hostname()); err != nil {
		return nil, err
	}
	return p, nil
}

// publicOnly sends a request through the environment's proxy when it has
// one for it, directly otherwise.
type publicOnly struct{ direct, proxied *http.Transport }

func (p publicOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	if u, err := http.ProxyFromEnvironment(r); err == nil && u != nil {
		return p.proxied.RoundTrip(r)
	}
	return p.direct.RoundTrip(r)
}

// publicHost refuses a host with any address that is not public.
func publicHost(ctx context.Context, host string) error {
	if ip, err := netip.ParseAddr(host); err == nil {
		return blocked(ip)
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return err
	}
	for _, ip := range ips {
		if err := blocked(ip); err != nil {
			return err
		}
	}
	return nil
}

// blocked returns the refusal of ip when it is not public, nil otherwise.
func blocked(ip netip.Addr) error {
	if ip = ip.Unmap(); public(ip) {
		return nil
	}
	return &BlockedError{ip}
}
