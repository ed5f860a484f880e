package postgres

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"
)

// idleConn bounds each read of a connection to the server: one that gets
// no byte for idle fails, so a server that stops answering mid-query (a
// frozen process, a proxy whose backend hangs; the kernel still
// acknowledges what is sent, so TCP sees nothing wrong) fails the query
// instead of holding it for ever. A deadline the driver sets (its
// cancellation of a query whose context ended) wins when it is sooner.
type idleConn struct {
	net.Conn
	idle time.Duration

	mu     sync.Mutex
	driver time.Time // the read deadline the driver last set; zero: none
}

func (c *idleConn) Read(b []byte) (int, error) {
	c.mu.Lock()
	d := time.Now().Add(c.idle)
	ours := c.driver.IsZero() || d.Before(c.driver)
	if !ours {
		d = c.driver
	}
	// Set under the lock: a cancellation the driver sets meanwhile comes
	// after it, and wins.
	err := c.Conn.SetReadDeadline(d)
	c.mu.Unlock()
	if err != nil {
		return 0, err
	}
	n, err := c.Conn.Read(b)
	if ours && errors.Is(err, os.ErrDeadlineExceeded) {
		c.mu.Lock()
		cancelled := !c.driver.IsZero() && !time.Now().Before(c.driver)
		c.mu.Unlock()
		if !cancelled {
			err = fmt.Errorf("the database sent nothing for %s: %w", c.idle, err)
		}
	}
	return n, err
}

func (c *idleConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.driver = t
	return c.Conn.SetDeadline(t)
}

func (c *idleConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.driver = t
	return c.Conn.SetReadDeadline(t)
}
