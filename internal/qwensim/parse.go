package qwensim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"unicode/utf8"
)

// EndpointParse is a document's parse request (files/parse), for faults
// and Calls; EndpointParseStatus its status poll.
const (
	EndpointParse       = "files/parse"
	EndpointParseStatus = "files/parse/status"
)

// parseFile starts the parse of an uploaded document ({file_id}), as Qwen's
// POST /api/v2/files/parse (weselow/Qwen2API src/utils/upload.js at
// 374bc842). The simulated parse is done at once: "success" for a PDF
// (bytes starting %PDF-) or UTF-8 text, "failed" for anything else (assumed:
// no capture of a failed parse exists; peers read status "failed"). A
// file_id no document was uploaded under, or another account's, is a
// Bad_Request (assumed); an account's expired token is a 401.
func (s *Sim) parseFile(w http.ResponseWriter, r *http.Request) {
	body, _ := readBody(r)
	s.record(s.call(EndpointParse, "", body, r))
	if s.applyFault(w, r, s.takeFault(EndpointParse)) {
		return
	}
	if _, ok := s.checkRequest(w, r, true); !ok {
		return
	}
	account, ok := s.accountOf(w, r)
	if !ok {
		return
	}
	var req struct {
		FileID string `json:"file_id"`
	}
	_ = json.Unmarshal(body, &req)
	s.files.mu.Lock()
	key, found := "", false
	for k, obj := range s.files.objects {
		if obj.fileID == req.FileID && req.FileID != "" && obj.filetype == "file" && obj.account == account {
			key, found = k, true
			break
		}
	}
	if found {
		obj := s.files.objects[key]
		obj.parse = "failed"
		if readable(obj) {
			obj.parse = "success"
		}
		s.files.objects[key] = obj
	}
	s.files.mu.Unlock()
	if !found {
		writeEnvelope(w, CodeBadRequest, "file_id names no uploaded document", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"success": true, "request_id": newID(), "data": map[string]any{}})
}

// parseStatus answers {file_id_list:[…]} with a row per file:
// {"success":true,"data":[{"file_id":…,"status":"success"}]} (the shape
// peers read: data[0].status; "pending" for a file whose parse was not
// asked for, or another account's, and for the first
// Options.PendingParses polls of one that was).
func (s *Sim) parseStatus(w http.ResponseWriter, r *http.Request) {
	body, _ := readBody(r)
	s.record(s.call(EndpointParseStatus, "", body, r))
	if s.applyFault(w, r, s.takeFault(EndpointParseStatus)) {
		return
	}
	if _, ok := s.checkRequest(w, r, true); !ok {
		return
	}
	account, ok := s.accountOf(w, r)
	if !ok {
		return
	}
	var req struct {
		FileIDList []string `json:"file_id_list"`
	}
	if json.Unmarshal(body, &req) != nil || len(req.FileIDList) == 0 {
		writeEnvelope(w, CodeBadRequest, "file_id_list is required", http.StatusBadRequest)
		return
	}
	rows := []map[string]string{}
	s.files.mu.Lock()
	for _, id := range req.FileIDList {
		status := "pending"
		for key, obj := range s.files.objects {
			if obj.fileID != id || obj.parse == "" || obj.account != account {
				continue
			}
			if obj.polls >= s.opt.PendingParses {
				status = obj.parse
			}
			obj.polls++
			s.files.objects[key] = obj
		}
		rows = append(rows, map[string]string{"file_id": id, "status": status})
	}
	s.files.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"success": true, "request_id": newID(), "data": rows})
}

// readable reports whether the simulated parse can read a document.
func readable(obj storedObject) bool {
	if obj.contentType == "application/pdf" {
		return bytes.HasPrefix(obj.data, []byte("%PDF-"))
	}
	return utf8.Valid(obj.data)
}
