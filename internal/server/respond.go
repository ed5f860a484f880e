package server

import (
	"net/http"

	"qwenproxy/internal/httpjson"
	"qwenproxy/internal/openai"
)

// writeError sends an API error envelope with its status.
func writeError(w http.ResponseWriter, e *openai.Error) { httpjson.Error(w, e) }

// writeJSONError is writeError returning the body sent, for the record.
func writeJSONError(w http.ResponseWriter, e *openai.Error) []byte { return httpjson.Error(w, e) }

// writeJSON sends v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) []byte { return httpjson.JSON(w, status, v) }

func writeBody(w http.ResponseWriter, status int, b []byte) { httpjson.Body(w, status, b) }
