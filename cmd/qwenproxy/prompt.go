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

// promptSecrets reads one line per prompt from standard input (without its
// line break; a password may begin or end with spaces). On
// a terminal it shows each prompt and turns echo off, so the secrets are
// never shown.
func promptSecrets(stdin io.Reader, stderr io.Writer, prompts ...string) ([]string, error) {
	f, isFile := stdin.(*os.File)
	terminal := false
	if isFile {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			terminal = true
			stty := exec.Command("stty", "-echo")
			stty.Stdin = f
			if stty.Run() == nil {
				defer func() {
					restore := exec.Command("stty", "echo")
					restore.Stdin = f
					restore.Run()
					fmt.Fprintln(stderr)
				}()
			}
		}
	}
	lines := bufio.NewReader(stdin)
	var out []string
	for i, prompt := range prompts {
		if terminal {
			if i > 0 {
				fmt.Fprintln(stderr)
			}
			fmt.Fprint(stderr, prompt)
		}
		line, err := lines.ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			return nil, fmt.Errorf("read %s from standard input: %w", strings.TrimSuffix(prompt, ": "), err)
		}
		out = append(out, strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"))
	}
	return out, nil
}
