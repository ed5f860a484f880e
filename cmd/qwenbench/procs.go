package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is a target server running as its own process, so that its CPU and
// memory can be read apart from the load generator's.
type proc struct {
	name string
	cmd  *exec.Cmd
	url  string
	db   string // qwenproxy's database, "" for the floor
}

// startSelf re-executes this binary as one of its helper servers (floor,
// sim) with args, and returns it once it prints the address it listens on.
func startSelf(name string, args ...string) (*proc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, append([]string{name}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if err != nil || !ok {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("%s did not start: %q %v", name, line, err)
	}
	return &proc{name: name, cmd: cmd, url: "http://" + addr}, nil
}

// startQwenproxy runs `qwenproxy serve` with its defaults, on a fresh
// database, in front of the simulator.
func startQwenproxy(bin, name, dir, upstream string, env ...string) (*proc, error) {
	db := filepath.Join(dir, name+".db")
	cmd := exec.Command(bin, "serve", "--port", "0", "--database-path", db, "--qwen-base-url", upstream)
	cmd.Env = append(os.Environ(), append([]string{"LOG_FORMAT=json", "QWEN_TOKEN=bench", "QWEN_COOKIES=bench=1"}, env...)...)
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	// Bounded: a server that never logs its address (a variant's
	// LOG_LEVEL above info hides the line) must not hang the run.
	timer := time.AfterFunc(startTimeout, func() { cmd.Process.Kill() })
	defer timer.Stop()
	lines := bufio.NewScanner(errPipe)
	for lines.Scan() {
		var entry struct{ Msg, Addr string }
		if json.Unmarshal(lines.Bytes(), &entry) == nil && entry.Msg == "listening" {
			go func() { // keep draining: a full pipe would block the server
				for lines.Scan() {
				}
			}()
			return &proc{name: name, cmd: cmd, url: "http://" + entry.Addr, db: db}, nil
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	return nil, fmt.Errorf("%s did not log its \"listening\" line within %s (is LOG_LEVEL above info?)", name, startTimeout)
}

// startTimeout bounds the wait for a qwenproxy target to listen.
const startTimeout = 30 * time.Second

// buildQwenproxy builds the proxy binary from this module.
func buildQwenproxy(dir string) (string, error) {
	bin := filepath.Join(dir, "qwenproxy")
	out, err := exec.Command("go", "build", "-o", bin, "./cmd/qwenproxy").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./cmd/qwenproxy (run qwenbench from the module root, or pass --qwenproxy): %v\n%s", err, out)
	}
	return bin, nil
}

// stop ends the process gracefully (qwenproxy drains its recorder).
func (p *proc) stop(ctx context.Context) error {
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		p.cmd.Process.Kill()
		return ctx.Err()
	}
}

// cpu is the process's user+system CPU time so far.
func (p *proc) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces): state is
	// field 3, utime 14, stime 15.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ
}

// memory returns the resident set and its peak, in bytes.
func (p *proc) memory() (rss, peak int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ":")
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			rss = kb << 10
		case "VmHWM":
			peak = kb << 10
		}
	}
	return rss, peak
}
