// Package qwenproxy holds the domain types shared by every part of the proxy:
// conversations (sessions), recorded exchanges, and the store contract that the
// database backends implement. It depends on nothing else in the module.
//
// One vocabulary names a call's life, in this order, everywhere:
//
//   - request: one call a client makes to the proxy (Request: what it sent
//     and its metadata), in any of the three client APIs (Chat Completions,
//     Messages, Responses), each translated into the same turn.
//   - turn: what the proxy does for one request of a conversation (Session):
//     it sends the conversation's next message to Qwen and makes the client's
//     answer from Qwen's (internal/server). A turn asks Qwen again only to
//     correct an answer that broke response_format.
//   - attempt: one try of one upstream HTTP request; the Qwen client retries
//     failed attempts with backoff (Response.UpstreamAttempts,
//     Response.UpstreamErrors; new chats apart, Response.NewChatAttempts).
//   - answer: what Qwen sends back for a completion, assembled
//     (internal/translate.Answer) and written to the client in its API's form.
//   - record: what is kept of a call: an Exchange (the Request and its one
//     Response, success or failure), written by the recorder in batches.
package qwenproxy
