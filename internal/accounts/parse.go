package accounts

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Login is an e-mail and password the proxy signs in with.
type Login struct {
	Email    string // lower-cased
	Password string
}

// ParseList reads QWEN_ACCOUNTS: email:password pairs separated by commas.
// The password is everything after the first ':' up to the next comma (use
// QWEN_ACCOUNTS_FILE for passwords containing commas). Errors name the
// entry by position and e-mail, never the password — nor an entry that is
// not an e-mail address: after a password's comma, it is the password's
// tail — and not the setting, which the caller names. An empty value is no
// account; one with commas and blanks alone is refused, as an empty
// QWEN_ACCOUNTS_FILE is (ParseFile).
func ParseList(v string) ([]Login, error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	var out []Login
	var errs []error
	for i, entry := range strings.Split(v, ",") {
		if strings.TrimSpace(entry) == "" {
			continue
		}
		l, err := parseEntry(entry)
		if err != nil {
			errs = append(errs, fmt.Errorf("entry %d: %w", i+1, err))
			continue
		}
		out = append(out, l)
	}
	if len(errs) > 0 {
		errs = append(errs, errors.New("(a comma separates accounts in QWEN_ACCOUNTS: put a password containing a comma in QWEN_ACCOUNTS_FILE, one email:password per line)"))
		return nil, errors.Join(errs...)
	}
	if len(out) == 0 {
		return nil, errors.New("holds no account: write email:password[,email:password…] (or leave it unset)")
	}
	return dedupe(out, "")
}

// ParseFile reads QWEN_ACCOUNTS_FILE: one email:password per line; blank
// lines and lines starting with # are skipped. The password is the rest of
// the line after the first ':' (commas included), without the line break.
func ParseFile(path string) ([]Login, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("QWEN_ACCOUNTS_FILE: %w", err)
	}
	defer f.Close()
	name := "QWEN_ACCOUNTS_FILE " + path
	logins, err := parseLines(f, name)
	if err == nil && len(logins) == 0 {
		// An empty file is a secret not mounted or cut short, more likely
		// than a wish for no account: served without a word, every call was
		// told to set QWEN_ACCOUNTS.
		return nil, fmt.Errorf("%s: holds no account: write one email:password per line (or leave QWEN_ACCOUNTS_FILE unset)", name)
	}
	return logins, err
}

func parseLines(r io.Reader, name string) ([]Login, error) {
	var out []Login
	var errs []error
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 64<<10)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		l, err := parseEntry(line)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s line %d: %w", name, n, err))
			continue
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return dedupe(out, name)
}

// parseEntry reads one email:password. Its errors quote nothing of the
// entry but a valid e-mail address: whatever else it holds may be (a piece
// of) a password.
func parseEntry(entry string) (Login, error) {
	email, password, ok := strings.Cut(entry, ":")
	if !ok {
		return Login{}, errors.New("is not email:password (it has no ':')")
	}
	id, err := NormalizeEmail(email)
	switch {
	case err != nil:
		return Login{}, errors.New("does not start with an e-mail address: write email:password")
	case password == "":
		return Login{}, fmt.Errorf("%s has no password: write email:password", id)
	}
	return Login{Email: id, Password: password}, nil
}

// dedupe refuses an account listed twice in name ("" when the caller names
// the setting).
func dedupe(in []Login, name string) ([]Login, error) {
	seen := map[string]bool{}
	for _, l := range in {
		if seen[l.Email] {
			return nil, fmt.Errorf("%s is listed twice", strings.TrimPrefix(name+": "+l.Email, ": "))
		}
		seen[l.Email] = true
	}
	return in, nil
}
