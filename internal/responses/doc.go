// Package responses is the OpenAI Responses API's wire format
// (https://platform.openai.com/docs/api-reference/responses), which Codex
// speaks: request types and their validation, their translation into the
// core's conversation, the response object and its items, and the semantic
// stream events.
package responses
