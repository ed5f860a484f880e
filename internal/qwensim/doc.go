// Package qwensim is a simulator of the three chat.qwen.ai calls the proxy
// makes: chats/new, streamed (and 2025 non-streamed) completions, and the
// model list. By default it speaks 2026 — the request rules working clients
// met that year (rules.go) and the 2026 event shapes — and it serves the
// 2025 recordings byte for byte as an option (Format2025). It keeps every chat's
// message tree, checks parent_id threading, answers deterministically from
// the conversation (so a test can tell whether context was threaded), and
// injects the failures Qwen is known for. It also serves what Qwen can do
// (features.go, files.go): web search (a web_search phase with sources),
// image generation and editing (an image_gen phase with the URL of an image
// it made; an edit without an image is refused),
// image and document uploads (upload tokens for an object store it serves
// itself, which checks the OSS V4 signature's key and the security token;
// a document's parse and its status, parse.go), and attachments it reads:
// a text document is read with the message.
//
// It serves the tests and `qwenproxy serve --mock-upstream`; production code
// reaches it only through a base URL, like the real service.
package qwensim
