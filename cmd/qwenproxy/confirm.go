package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/mattn/go-isatty"
)

// isTerminal reports whether f is a terminal: a person typing. Being a
// character device is not enough (/dev/null is one), so the terminal is
// asked for its settings, as isatty(3) does.
func isTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// confirmAll guards a delete of everything: --yes lets it through; on a
// terminal the person is asked; anywhere else it is refused, so a script
// cannot wipe a history by a slip.
func confirmAll(e env, yes bool, what string) error {
	if yes {
		return nil
	}
	if !e.terminal {
		return fmt.Errorf("this would delete %s; pass --yes to confirm", what)
	}
	fmt.Fprintf(e.stderr, "This deletes %s. Type yes to go on: ", what)
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return errors.New("not confirmed: nothing deleted (pass --yes to confirm without asking)")
	}
	if strings.TrimSpace(strings.ToLower(line)) != "yes" {
		return errors.New("not confirmed: nothing deleted (pass --yes to confirm without asking)")
	}
	return nil
}
