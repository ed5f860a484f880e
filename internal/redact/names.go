package redact

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// SecretName reports whether a JSON field name names a secret. The name is
// split into lower-case words at separators ('_', '-', '.', spaces) and at
// camelCase boundaries, so accessToken, access_token, ACCESS-TOKEN and
// "access token" are one name; then its last word decides:
//
//   - password, passwd, pass, passphrase, secret, cookie(s), authorization,
//     auth, bearer, credential(s): a secret;
//   - token, or a word ending in token (bx-umidtoken, accesstoken): a secret,
//     but tokens (max_tokens, tokens) and tokenizer are counts and names;
//   - key, or apikey/privatekey/secretkey/accesskey: a secret, unless the
//     word before it makes it an identifier (prompt_cache_key, an OpenAI
//     request field; idempotency_key); keywords and monkey are not keys;
//   - the plurals of the words above (passwords, secrets, apikeys), and keys
//     after a word that makes them credentials (api_keys, private_keys), not
//     keys alone (a list of a map's keys).
func SecretName(name string) bool {
	prev, last, n := lastWords(name)
	if n == 0 {
		return false
	}
	switch last {
	case "password", "passwd", "pass", "passphrase", "secret", "cookie", "cookies", "authorization", "auth",
		"bearer", "credential", "credentials", "apikey", "privatekey", "secretkey", "accesskey",
		"passwords", "passphrases", "secrets", "apikeys", "privatekeys", "secretkeys", "accesskeys":
		return true
	case "keys":
		return n > 1 && credentialKeys[prev]
	case "key":
		if n > 1 && identifierKey[prev] {
			return false
		}
		return true
	}
	return strings.HasSuffix(last, "token")
}

// identifierKey are words that make a following "key" an identifier, not a
// credential.
var identifierKey = map[string]bool{"cache": true, "idempotency": true, "partition": true, "sort": true, "dedup": true, "dedupe": true}

// credentialKeys are words that make a following "keys" credentials.
var credentialKeys = map[string]bool{"api": true, "private": true, "secret": true, "access": true, "ssh": true, "signing": true,
	"encryption": true, "client": true, "master": true, "license": true, "auth": true}

// splitWords splits a field name into lower-case words at separators and at
// camelCase boundaries (fooBar, HTTPServer → http server).
func splitWords(name string) []string { return appendWords(nil, name) }

// appendWords appends name's words (splitWords) to words. An ASCII name's
// words are pieces of it, copied only to lower-case one that holds an
// upper-case letter; any other name is split by its runes.
func appendWords(words []string, name string) []string {
	for i := 0; i < len(name); i++ {
		if name[i] >= utf8.RuneSelf {
			return appendRuneWords(words, name)
		}
	}
	return appendASCIIWords(words, name)
}

// lastWords returns the last two of name's words (splitWords) and how many
// it has, keeping no other: every call's answer names its usage's counts
// (prompt_tokens…), each of them screened by SecretName, and an ASCII
// name's words are then pieces of it (copied only to lower-case one that
// holds an upper-case letter), none of them kept beyond the call.
func lastWords(name string) (prev, last string, n int) {
	for i := 0; i < len(name); i++ {
		if name[i] >= utf8.RuneSelf {
			words := appendRuneWords(nil, name)
			switch n = len(words); {
			case n > 1:
				return words[n-2], words[n-1], n
			case n == 1:
				return "", words[0], n
			}
			return "", "", 0
		}
	}
	for start, end := nextASCIIWord(name, 0); start < len(name); start, end = nextASCIIWord(name, end) {
		prev, last, n = last, strings.ToLower(name[start:end]), n+1
	}
	return prev, last, n
}

// appendASCIIWords is appendRuneWords for an ASCII name, whose letters,
// digits and cases are ASCII's: the same words, without converting the
// name to runes and each word back to a string.
func appendASCIIWords(words []string, name string) []string {
	for start, end := nextASCIIWord(name, 0); start < len(name); start, end = nextASCIIWord(name, end) {
		words = append(words, strings.ToLower(name[start:end]))
	}
	return words
}

// nextASCIIWord returns the bounds of the first word of the ASCII name
// that begins at i or after, start len(name) when there is none. A word
// is letters and digits, ended by anything else and cut where a camelCase
// name starts its next word.
func nextASCIIWord(name string, i int) (start, end int) {
	for i < len(name) && !isASCIILetter(name[i]) && !isASCIIDigit(name[i]) {
		i++
	}
	start = i
	for i++; i < len(name); i++ {
		c := name[i]
		if !isASCIILetter(c) && !isASCIIDigit(c) {
			break
		}
		if isASCIIUpper(c) {
			prev := name[i-1]
			nextLower := i+1 < len(name) && isASCIILower(name[i+1])
			// aB starts a word; in ABc the B starts one (HTTPServer).
			if isASCIILower(prev) || isASCIIDigit(prev) || (isASCIIUpper(prev) && nextLower) {
				break
			}
		}
	}
	return start, min(i, len(name))
}

func isASCIIUpper(c byte) bool  { return 'A' <= c && c <= 'Z' }
func isASCIILower(c byte) bool  { return 'a' <= c && c <= 'z' }
func isASCIILetter(c byte) bool { return isASCIIUpper(c) || isASCIILower(c) }
func isASCIIDigit(c byte) bool  { return '0' <= c && c <= '9' }

// appendRuneWords appends name's words, read rune by rune with Unicode's
// letters, digits and cases.
func appendRuneWords(words []string, name string) []string {
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	runes := []rune(name)
	for i, r := range runes {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush()
			continue
		}
		if unicode.IsUpper(r) && len(cur) > 0 {
			prev := runes[i-1]
			nextLower := i+1 < len(runes) && unicode.IsLower(runes[i+1])
			// aB starts a word; in ABc the B starts one (HTTPServer).
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				flush()
			}
		}
		cur = append(cur, r)
	}
	flush()
	return words
}
