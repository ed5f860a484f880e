// Package anthropic is the Anthropic Messages API's wire format
// (https://docs.anthropic.com/en/api/messages): request types and their
// validation, their translation into the core's conversation, the answer's
// body and stream events, and the error envelope. Claude Code and every
// Anthropic SDK speak it.
package anthropic
