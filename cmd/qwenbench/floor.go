package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"

	"qwenproxy/internal/benchfloor"
)

// runFloor serves the floor (internal/benchfloor) on a loopback port it
// prints, in front of the upstream it is given.
func runFloor(args []string) error {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	upstream := fs.String("upstream", "", "Qwen (simulator) base URL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 512, 256
	return serveLoopback(&benchfloor.Floor{Upstream: *upstream, Client: &http.Client{Transport: tr}})
}

// serveLoopback serves h on a free loopback port, announced on stdout as
// "listening ADDR" for startSelf to read.
func serveLoopback(h http.Handler) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println("listening", ln.Addr().String())
	return http.Serve(ln, h)
}
