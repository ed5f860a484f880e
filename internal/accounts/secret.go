package accounts

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Sealer encrypts the secrets the database keeps (stored passwords, shared
// sign-in cookies) with AES-256-GCM under the operator's key
// (QWENPROXY_SECRET_KEY). A sealed value is "v1.<key id>.<base64 nonce‖ciphertext>",
// where the key id (the first 8 hex digits of the key's SHA-256) says which
// key opens it, so keys can be rotated: the first key seals, every key opens.
type Sealer struct {
	keys []sealKey // the first seals
}

type sealKey struct {
	id   string
	aead cipher.AEAD
}

// ErrNoKey is returned when a secret should be stored but no key is set.
var ErrNoKey = errors.New("QWENPROXY_SECRET_KEY is not set: without a key the proxy will not store a Qwen password or token " +
	"(set it to 32 random bytes, hex or base64, e.g. `openssl rand -hex 32`; QWEN_ACCOUNTS works without it)")

// NewSealer parses QWENPROXY_SECRET_KEY: one key, or several separated by
// commas (the first seals; the others only open, during a rotation). Each is
// 32 bytes, hex (64 digits) or base64 (standard or URL alphabet). "" gives a
// nil Sealer: nothing secret is stored.
func NewSealer(spec string) (*Sealer, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, nil
	}
	s := &Sealer{}
	for i, part := range strings.Split(spec, ",") {
		raw, err := decodeKey(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i+1, err)
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i+1, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i+1, err)
		}
		sum := sha256.Sum256(raw)
		s.keys = append(s.keys, sealKey{id: hex.EncodeToString(sum[:4]), aead: aead})
	}
	return s, nil
}

func decodeKey(v string) ([]byte, error) {
	if len(v) == 64 {
		if b, err := hex.DecodeString(v); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(v); err == nil {
			if len(b) != 32 {
				return nil, fmt.Errorf("must be 32 bytes as 64 hex digits or base64, not %d bytes of base64", len(b))
			}
			return b, nil
		}
	}
	return nil, errors.New("must be 32 bytes as 64 hex digits or base64")
}

// Seal encrypts plain under the first key. The account id is bound in as
// associated data, so a sealed value copied to another account's row does
// not open.
func (s *Sealer) Seal(plain, account string) (string, error) {
	if s == nil {
		return "", ErrNoKey
	}
	k := s.keys[0]
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	out := k.aead.Seal(nonce, nonce, []byte(plain), []byte(account))
	return "v1." + k.id + "." + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts a value made by Seal for the same account, with whichever
// configured key sealed it.
func (s *Sealer) Open(sealed, account string) (string, error) {
	parts := strings.SplitN(sealed, ".", 3)
	known := len(parts) == 3 && parts[0] == "v1"
	switch {
	case s == nil && known:
		// Not ErrNoKey, which tells why nothing is stored without a key:
		// this is stored already, and opens only with the key that sealed it.
		return "", fmt.Errorf("open sealed secret: sealed with key %s, and QWENPROXY_SECRET_KEY is not set", parts[1])
	case s == nil:
		return "", ErrNoKey
	case !known:
		return "", errors.New("open sealed secret: unknown format")
	}
	for _, k := range s.keys {
		if k.id != parts[1] {
			continue
		}
		raw, err := base64.RawStdEncoding.DecodeString(parts[2])
		if err != nil || len(raw) < k.aead.NonceSize() {
			return "", errors.New("open sealed secret: damaged value")
		}
		plain, err := k.aead.Open(nil, raw[:k.aead.NonceSize()], raw[k.aead.NonceSize():], []byte(account))
		if err != nil {
			return "", errors.New("open sealed secret: it does not authenticate (damaged, or sealed for another account)")
		}
		return string(plain), nil
	}
	return "", fmt.Errorf("open sealed secret: sealed with key %s, which QWENPROXY_SECRET_KEY does not hold", parts[1])
}

// Reseal re-encrypts a sealed value under the first key (key rotation).
func (s *Sealer) Reseal(sealed, account string) (string, error) {
	plain, err := s.Open(sealed, account)
	if err != nil {
		return "", err
	}
	return s.Seal(plain, account)
}
