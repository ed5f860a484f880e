package qwen

import (
	"context"

	"qwenproxy/internal/redact"
)

// callMaskKey is the context key of a call's own masker (WithCallMask).
type callMaskKey struct{}

// WithCallMask returns ctx carrying mask: what masks, in a body Qwen
// answers a failure with, the secrets of the client call ctx serves (the
// values its body hid from the record, its URLs' passwords). A refusal may
// quote the request it refuses; the client's own secrets are masked from
// it, beside the credentials' (Credentials.Known), before any of it is read
// into an *Error — whose message the client is told, the call's attempts
// keep and the failure log writes. mask runs only on a failure's body, and
// may be called more than once; it returns b itself when nothing changed.
func WithCallMask(ctx context.Context, mask func(b []byte) []byte) context.Context {
	return context.WithValue(ctx, callMaskKey{}, mask)
}

// callMasked is b with ctx's call mask applied (WithCallMask); b when ctx
// carries none.
func callMasked(ctx context.Context, b []byte) []byte {
	if mask, ok := ctx.Value(callMaskKey{}).(func([]byte) []byte); ok && mask != nil {
		return mask(b)
	}
	return b
}

// decodedMasked returns e, a failure read from a body masked of known's
// values and ctx's call mask, with its message masked of them again, as the
// text it decoded to: the masks know a secret in the escapes they list, and
// a writer that escapes otherwise (a quote as \u0022, as .NET's
// System.Text.Json does) passes it through the body's masking, to be
// decoded whole into the message the client is told. e itself when it is
// nil or nothing in its message changes.
func decodedMasked(ctx context.Context, known *redact.Known, e *Error) *Error {
	if e == nil || e.Message == "" {
		return e
	}
	msg := string(callMasked(ctx, known.Bytes([]byte(e.Message))))
	if msg == e.Message {
		return e
	}
	masked := *e
	masked.Message = msg
	return &masked
}
