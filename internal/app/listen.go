package app

import (
	"errors"
	"fmt"
	"net"
	"syscall"

	"qwenproxy/internal/config"
)

// listen opens the server's address. A port another program holds is the
// likeliest failure of a first start (3000 is many a dev server's default):
// the kernel's "bind: address already in use" said nothing of what to do,
// so the error names the ways out, another PORT or stopping the other one.
func listen(cfg *config.Config) (net.Listener, error) {
	ln, err := net.Listen("tcp", cfg.Addr())
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return nil, fmt.Errorf("listen on %s: another program (another qwenproxy serve?) already listens on port %d: stop it, or choose another port with PORT or --port: %w", cfg.Addr(), cfg.Port, err)
	case err != nil:
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr(), err)
	}
	return ln, nil
}
