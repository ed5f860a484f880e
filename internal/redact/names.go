package redact

import (
	"strings"
	"unicode"
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
	words := splitWords(name)
	if len(words) == 0 {
		return false
	}
	last := words[len(words)-1]
	switch last {
	case "password", "passwd", "pass", "passphrase", "secret", "cookie", "cookies", "authorization", "auth",
		"bearer", "credential", "credentials", "apikey", "privatekey", "secretkey", "accesskey",
		"passwords", "passphrases", "secrets", "apikeys", "privatekeys", "secretkeys", "accesskeys":
		return true
	case "keys":
		return len(words) > 1 && credentialKeys[words[len(words)-2]]
	case "key":
		if len(words) > 1 && identifierKey[words[len(words)-2]] {
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
func splitWords(name string) []string {
	var words []string
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
