// Package translate turns an OpenAI conversation into what Qwen is sent (only
// the new turn, with the system prompt and any replayed history on a chat's
// first turn) and Qwen's answer events into OpenAI's answer.
package translate
