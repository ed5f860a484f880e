// Package qwen is the client of the Qwen Chat web API (chat.qwen.ai): creating
// chats, streaming completions, listing models, and turning every way Qwen
// reports a failure (HTTP statuses, success:false envelopes inside HTTP 200,
// firewall pages, in-stream errors) into one typed *Error.
package qwen
