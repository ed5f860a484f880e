// Package qwenproxy holds the domain types shared by every part of the proxy:
// conversations (sessions), recorded exchanges, and the store contract that the
// database backends implement. It depends on nothing else in the module.
package qwenproxy
