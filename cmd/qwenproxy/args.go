package main

import (
	"errors"
	"flag"
	"fmt"

	"qwenproxy/internal/config"
)

// usageError is a command line the command cannot run as written (an
// unknown flag or action, a missing or surplus argument): the process exits
// 2, as for an unknown command, rather than 1 (the command ran and failed).
// said is set when the flag package already printed the error, with the
// command's flags: it is not printed again.
type usageError struct {
	err  error
	said bool
}

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, a ...any) error { return usageError{err: fmt.Errorf(format, a...)} }

// parseFlags parses fs from args with the flags allowed anywhere among the
// positional arguments (`sessions show s1 --database-path a.db` as well as
// `sessions show --database-path a.db s1`): the flag package alone stops at
// the first positional argument and would silently leave every later flag
// unread. Everything after "--" is positional. It returns the positional
// arguments in order; a flag error is a usageError (flag.ErrHelp as is).
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	if err := noRepeatedFlag(fs, args); err != nil {
		return nil, err
	}
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			config.SuggestFlag(fs, err)
			return nil, usageError{err: err, said: true}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// checkArgs refuses positional arguments beyond the max a command takes,
// naming the first surplus one.
func checkArgs(positional []string, max int) error {
	if len(positional) > max {
		return usagef("unexpected argument %q", positional[max])
	}
	return nil
}

// plural counts a noun for a person: "1 call", "2 calls", "0 calls".
func plural[N ~int | ~int64](n N, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// noRepeatedFlag refuses a flag given a value twice (--status error
// --status success), which the flag package read as its last value alone.
func noRepeatedFlag(fs *flag.FlagSet, args []string) error {
	if name := config.RepeatedFlag(fs, args); name != "" {
		return usagef("--%s is given more than once: give it once", name)
	}
	return nil
}
