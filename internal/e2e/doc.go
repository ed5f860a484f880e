// Package e2e holds the end-to-end tests: the real server, started the way
// `qwenproxy serve` starts it, on loopback in front of the Qwen simulator,
// driven by the official OpenAI Go SDK and plain HTTP, with every recorded row
// checked in the SQLite file. It has no non-test code.
package e2e
