package qwen

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Document parsing: how long UploadDocument waits for Qwen to parse a
// document, polling its status. Weselow/Qwen2API (src/utils/upload.js,
// commit 374bc842) polls every 500 ms, 30 times; a peer working from the web
// client's HAR (2026-08-20) polls for 15 s.
const (
	parsePollInterval = 500 * time.Millisecond
	parsePolls        = 30
)

// UploadDocument attaches a document (a PDF, a plain-text file) the way the
// web client does, per the 2026 peers: weselow/Qwen2API src/utils/upload.js
// at 374bc842 (uploadFileToQwenOss, parseUploadedTextFile); the same four
// steps in another peer's note "captured from the web interface's HAR,
// 2026-08-20" (its repository not named by the index searched); for PDFs,
// JLPT4YOU/qwenai's test of 2025-10 (filetype "file", file_class "document"):
//
//  1. POST /api/v2/files/getstsToken {filename, filesize (a string),
//     filetype:"file"} — "file", not the MIME type, for every document;
//  2. the bytes to the object store, as an image's (putObject);
//  3. POST /api/v2/files/parse {file_id}: Qwen reads the document;
//  4. POST /api/v2/files/parse/status {file_id_list:[file_id]} until its
//     row's status is "success" ("failed" or "error" fail the upload).
//
// It returns the message.files entry (NewDocumentFile) and the upstream
// attempts made. A parse that fails is KindBadRequest (Qwen could not read
// the document); one still pending after the polls is KindTimeout.
func (c *Client) UploadDocument(ctx context.Context, chatID, name, contentType string, data []byte) (File, Attempts, error) {
	tok, attempts, err := c.store(ctx, chatID, "file", name, contentType, data)
	if err != nil {
		return File{}, attempts, err
	}
	err = c.retry(ctx, "files_parse", &attempts, func() error { return c.parse(ctx, chatID, tok.FileID) })
	if err != nil {
		return File{}, attempts, err
	}
	if err := c.awaitParse(ctx, chatID, tok.FileID, &attempts); err != nil {
		return File{}, attempts, err
	}
	userID, _, _ := strings.Cut(tok.FilePath, "/")
	return NewDocumentFile(tok.FileID, tok.FileURL, userID, name, contentType, int64(len(data)), c.now().UnixMilli()), attempts, nil
}

// parse asks Qwen to parse an uploaded file. Its answer carries nothing the
// client needs beyond success.
func (c *Client) parse(ctx context.Context, chatID, fileID string) error {
	body, _ := json.Marshal(map[string]string{"file_id": fileID}) // strings: cannot fail
	b, err := c.postJSON(ctx, chatID, "/api/v2/files/parse", body)
	if err != nil {
		return err
	}
	return refused(b, "document parse refused")
}

// awaitParse polls the parse's status until Qwen has read the document.
func (c *Client) awaitParse(ctx context.Context, chatID, fileID string, attempts *Attempts) error {
	body, _ := json.Marshal(map[string][]string{"file_id_list": {fileID}})
	for poll := 1; ; poll++ {
		var status, why string
		err := c.retry(ctx, "files_parse_status", attempts, func() error {
			b, err := c.postJSON(ctx, chatID, "/api/v2/files/parse/status", body)
			if err == nil {
				err = refused(b, "document parse status refused")
			}
			if err == nil {
				status, why = parseStatus(b, fileID)
			}
			return err
		})
		switch {
		case err != nil:
			return err
		case status == "success":
			return nil
		case status == "failed" || status == "error":
			return &Error{Kind: KindBadRequest, Message: "Qwen could not parse the document: " + cmp.Or(why, status)}
		case poll >= parsePolls:
			return &Error{Kind: KindTimeout, Message: fmt.Sprintf("Qwen had not parsed the document after %d polls (last status %q)", poll, status)}
		}
		t := time.NewTimer(parsePollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return &Error{Kind: KindTimeout, Message: "the document's parse was not awaited: " + ctx.Err().Error(), Err: ctx.Err()}
		case <-t.C:
		}
	}
}

// parseStatus reads the status of fileID from a parse/status answer: data
// is a list of {file_id, status, error_msg} (peers also read data.list).
func parseStatus(b []byte, fileID string) (status, why string) {
	type row struct {
		FileID   string `json:"file_id"`
		Status   string `json:"status"`
		ErrorMsg string `json:"error_msg"`
	}
	var answer struct {
		Data json.RawMessage `json:"data"`
	}
	if json.Unmarshal(b, &answer) != nil {
		return "", ""
	}
	var rows []row
	if json.Unmarshal(answer.Data, &rows) != nil {
		var wrapped struct{ List []row }
		_ = json.Unmarshal(answer.Data, &wrapped)
		rows = wrapped.List
	}
	for _, r := range rows {
		if r.FileID == fileID || r.FileID == "" {
			return strings.ToLower(r.Status), r.ErrorMsg
		}
	}
	return "", ""
}

// postJSON posts body to path with the web client's headers for chatID.
func (c *Client) postJSON(ctx context.Context, chatID, path string, body []byte) ([]byte, error) {
	creds, err := c.cfg.Credentials.Credentials(ctx)
	if err != nil {
		return nil, err
	}
	return c.do(ctx, http.MethodPost, path, body, creds, func(r *http.Request) {
		c.setHeaders(r, creds, refererChat, chatID)
		r.Header.Set("Content-Type", "application/json")
	})
}

// refused is the failure an answer of {success:false, …} reports, or nil.
func refused(b []byte, what string) error {
	var answer struct {
		Success *bool `json:"success"`
	}
	if json.Unmarshal(b, &answer) != nil {
		return &Error{Kind: KindBadResponse, Message: fmt.Sprintf("%s: unreadable answer (%d bytes)", what, len(b))}
	}
	if answer.Success == nil || *answer.Success {
		return nil
	}
	var env envelope
	if json.Unmarshal(b, &env) == nil {
		if f := env.failure(0); f != nil {
			return f
		}
	}
	return &Error{Kind: KindBadResponse, Message: what + ": " + Summarize(b)}
}
