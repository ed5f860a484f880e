// Package openai holds the OpenAI wire format the proxy speaks to its clients:
// request types with their validation, response and stream-chunk encoding, and
// the error envelope.
package openai
