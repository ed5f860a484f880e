package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// secretInput reads secrets from standard input, one per line. On a
// terminal it shows a prompt for each and turns echo off, so that they are
// never shown. An interrupt (ctx) ends a read that waits.
type secretInput struct {
	ctx      context.Context
	lines    *bufio.Reader
	stderr   io.Writer
	terminal bool
	asked    bool
	restore  func()
}

func openSecretInput(ctx context.Context, stdin io.Reader, stderr io.Writer) *secretInput {
	in := &secretInput{ctx: ctx, lines: bufio.NewReader(stdin), stderr: stderr, restore: func() {}}
	f, isFile := stdin.(*os.File)
	if !isFile {
		return in
	}
	if !isTerminal(f) {
		return in
	}
	in.terminal = true
	stty := exec.Command("stty", "-echo")
	stty.Stdin = f
	if stty.Run() == nil {
		in.restore = func() {
			restore := exec.Command("stty", "echo")
			restore.Stdin = f
			restore.Run()
			fmt.Fprintln(stderr)
		}
	}
	return in
}

// close turns echo back on.
func (in *secretInput) close() { in.restore() }

// line reads one line without its line break (a password may begin or end
// with spaces); ok is false at the end of the input.
func (in *secretInput) line(prompt string) (string, bool, error) {
	if in.terminal {
		if in.asked {
			fmt.Fprintln(in.stderr)
		}
		fmt.Fprint(in.stderr, prompt)
		in.asked = true
	}
	line, err := in.readLine()
	if errors.Is(err, errInterrupted) {
		return "", false, err
	}
	if errors.Is(err, io.EOF) && line == "" {
		return "", false, nil
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, fmt.Errorf("read %s from standard input: %w", strings.TrimSuffix(prompt, ": "), err)
	}
	return strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"), true, nil
}

// moreLines reads standard input to its end and says whether a line with
// something on it is left: a secret read from a pipe or a file is one line,
// and taking the first of several stored what the user did not mean (a
// password file, a value split over lines). Blank lines are no more. On a
// terminal nothing more is read: the prompts asked for what was read.
func (in *secretInput) moreLines() (bool, error) {
	if in.terminal {
		return false, nil
	}
	for {
		more, ok, err := in.line("")
		if err != nil || !ok {
			return false, err
		}
		if strings.TrimSpace(more) != "" {
			return true, nil
		}
	}
}

// errInterrupted ends a read of a secret that Ctrl-C (or SIGTERM)
// interrupted: the command stores nothing.
var errInterrupted = errors.New("interrupted: nothing was stored")

// readLine reads the next line, or returns errInterrupted once in.ctx
// ends. The signal is the command's context's (main catches SIGINT so
// that commands end cleanly): at a password prompt, read as a plain read,
// Ctrl-C did nothing until Enter — with echo off, the prompt just hung.
// The read left waiting ends with the process.
func (in *secretInput) readLine() (string, error) {
	type read struct {
		line string
		err  error
	}
	got := make(chan read, 1)
	go func() {
		line, err := in.lines.ReadString('\n')
		got <- read{line, err}
	}()
	select {
	case r := <-got:
		return r.line, r.err
	case <-in.ctx.Done():
		return "", errInterrupted
	}
}
