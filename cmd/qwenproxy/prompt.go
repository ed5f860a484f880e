package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// secretInput reads secrets from standard input, one per line. On a
// terminal it shows a prompt for each and turns echo off, so that they are
// never shown.
type secretInput struct {
	lines    *bufio.Reader
	stderr   io.Writer
	terminal bool
	asked    bool
	restore  func()
}

func openSecretInput(stdin io.Reader, stderr io.Writer) *secretInput {
	in := &secretInput{lines: bufio.NewReader(stdin), stderr: stderr, restore: func() {}}
	f, isFile := stdin.(*os.File)
	if !isFile {
		return in
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
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
	line, err := in.lines.ReadString('\n')
	if errors.Is(err, io.EOF) && line == "" {
		return "", false, nil
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, fmt.Errorf("read %s from standard input: %w", strings.TrimSuffix(prompt, ": "), err)
	}
	return strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"), true, nil
}
