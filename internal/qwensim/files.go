package qwensim

import (
	"encoding/json"
	"hash/crc64"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// EndpointUpload is the upload-token call (getstsToken), for faults and
// Calls.
const EndpointUpload = "files/getstsToken"

// Bucket is the simulated object store's bucket. The store is served by the
// simulator itself, path-style (PUT /<bucket>/<file_path>), where Qwen names
// an Alibaba OSS endpoint (virtual-hosted: <bucket>.<endpoint>).
const Bucket = "qwen-sim-bucket"

// maxStoredBytes bounds what the simulated store keeps, in all.
const maxStoredBytes = 64 << 20

// fileStore is the simulated object store: upload tokens issued, objects
// put with them.
type fileStore struct {
	mu      sync.Mutex
	tokens  map[string]uploadToken // by file_path
	objects map[string]storedObject
	bytes   int64
	puts    int
}

type uploadToken struct {
	keyID, secret, security string
	fileID                  string
	filetype                string
	size                    int64
	account                 string // whose token asked for it ("" for a guest or a pasted cookie)
}

type storedObject struct {
	data        []byte
	contentType string
	fileID      string
	filetype    string // the token's: "image", or "file" for a document
	account     string // the token's
	parse       string // a document's parse: "" (not asked), "success" or "failed"
	polls       int    // status polls of its parse answered so far
}

// Uploads is how many objects were put into the simulated store.
func (s *Sim) Uploads() int {
	s.files.mu.Lock()
	defer s.files.mu.Unlock()
	return s.files.puts
}

func (s *Sim) handleFiles(mux *http.ServeMux) {
	// The web client used v1 and now v2 (qwen-2026.md §4): both are served.
	mux.HandleFunc("POST /api/v1/files/getstsToken", s.stsToken)
	mux.HandleFunc("POST /api/v2/files/getstsToken", s.stsToken)
	mux.HandleFunc("PUT /"+Bucket+"/{key...}", s.putObject)
	mux.HandleFunc("GET /"+Bucket+"/{key...}", s.getObject)
	mux.HandleFunc("POST /api/v2/files/parse", s.parseFile)
	mux.HandleFunc("POST /api/v2/files/parse/status", s.parseStatus)
}

// stsToken answers an upload-token request ({filename, filesize (a string),
// filetype}) with temporary credentials for one object, as Qwen does:
// access_key_id, access_key_secret, security_token, bucketname, region,
// endpoint, file_id, file_path and file_url. An account's expired or forged
// token gets the 401 a chat's call gets: a file is the account's.
func (s *Sim) stsToken(w http.ResponseWriter, r *http.Request) {
	body, _ := readBody(r)
	s.record(s.call(EndpointUpload, "", body, r))
	if s.applyFault(w, r, s.takeFault(EndpointUpload)) {
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
		Filename string `json:"filename"`
		Filesize string `json:"filesize"`
		Filetype string `json:"filetype"`
	}
	size, err := int64(0), json.Unmarshal(body, &req)
	if err == nil {
		size, err = strconv.ParseInt(req.Filesize, 10, 64)
	}
	if err != nil || req.Filename == "" || size <= 0 || req.Filetype == "" {
		writeEnvelope(w, CodeBadRequest, "filename, filesize (a string of the byte count) and filetype are required", http.StatusBadRequest)
		return
	}
	fileID := newID()
	path := "user-sim/" + fileID + "_" + sanitize(req.Filename)
	tok := uploadToken{keyID: "STS.sim" + newID()[:8], secret: newID(), security: "sim-token-" + newID(), fileID: fileID, filetype: req.Filetype, size: size, account: account}
	s.files.mu.Lock()
	if s.files.tokens == nil {
		s.files.tokens, s.files.objects = map[string]uploadToken{}, map[string]storedObject{}
	}
	s.files.tokens[path] = tok
	s.files.mu.Unlock()
	base := "http://" + r.Host
	data := map[string]any{
		"access_key_id": tok.keyID, "access_key_secret": tok.secret, "security_token": tok.security,
		"bucketname": Bucket, "region": "oss-ap-southeast-1", "endpoint": base,
		"file_id": fileID, "file_path": path, "file_url": base + "/" + Bucket + "/" + path + "?x-oss-expires=300",
	}
	jsonAnswer(w)
	_ = json.NewEncoder(w).Encode(map[string]any{"success": true, "request_id": newID(), "data": data})
}

// putObject stores an object put with an upload token's credentials: the
// request must be signed with OSS's V4 scheme by that token's key id and
// carry its security token, and the bytes must be the size declared.
func (s *Sim) putObject(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	data, _ := readBody(r)
	s.files.mu.Lock()
	defer s.files.mu.Unlock()
	tok, ok := s.files.tokens[key]
	auth := r.Header.Get("Authorization")
	switch {
	case !ok:
		ossError(w, http.StatusForbidden, "AccessDenied", "no upload token names this object")
	case !strings.HasPrefix(auth, "OSS4-HMAC-SHA256 Credential="+tok.keyID+"/") || !strings.Contains(auth, "Signature="):
		ossError(w, http.StatusForbidden, "SignatureDoesNotMatch", "the request is not signed (OSS4-HMAC-SHA256) with the token's access key")
	case r.Header.Get("x-oss-security-token") != tok.security:
		ossError(w, http.StatusForbidden, "InvalidSecurityToken", "the security token is missing or wrong")
	case int64(len(data)) != tok.size:
		ossError(w, http.StatusBadRequest, "InvalidArgument", "the object's size differs from the filesize declared")
	case s.files.bytes+int64(len(data)) > maxStoredBytes:
		ossError(w, http.StatusForbidden, "QuotaExceeded", "the simulated store is full")
	default:
		s.files.objects[key] = storedObject{data: data, contentType: r.Header.Get("Content-Type"), fileID: tok.fileID, filetype: tok.filetype, account: tok.account}
		s.files.bytes += int64(len(data))
		s.files.puts++
		delete(s.files.tokens, key)
		w.Header().Set("x-oss-hash-crc64ecma", strconv.FormatUint(crc64.Checksum(data, crc64.MakeTable(crc64.ECMA)), 10))
		w.Header().Set("ETag", `"`+tok.fileID+`"`)
		w.WriteHeader(http.StatusOK)
	}
}

func (s *Sim) getObject(w http.ResponseWriter, r *http.Request) {
	s.files.mu.Lock()
	obj, ok := s.files.objects[r.PathValue("key")]
	s.files.mu.Unlock()
	if !ok {
		ossError(w, http.StatusNotFound, "NoSuchKey", "the object does not exist")
		return
	}
	w.Header().Set("Content-Type", obj.contentType)
	w.Write(obj.data)
}

// uploaded reports the stored object a message.files entry names (by its
// id and url), or false.
func (s *Sim) uploaded(fileID, url string) (storedObject, bool) {
	s.files.mu.Lock()
	defer s.files.mu.Unlock()
	for key, obj := range s.files.objects {
		if obj.fileID == fileID && strings.Contains(url, "/"+Bucket+"/"+key) {
			return obj, true
		}
	}
	return storedObject{}, false
}

// storeGenerated keeps a generated image in the store and returns its key.
func (s *Sim) storeGenerated(data []byte) string {
	key := "generated/" + newID() + ".png"
	s.files.mu.Lock()
	defer s.files.mu.Unlock()
	if s.files.objects == nil {
		s.files.tokens, s.files.objects = map[string]uploadToken{}, map[string]storedObject{}
	}
	s.files.objects[key] = storedObject{data: data, contentType: "image/png"}
	return key
}

// ossError is OSS's XML error body.
func ossError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>` + code + `</Code><Message>` + message + `</Message><RequestId>` + newID() + `</RequestId></Error>`))
}

func sanitize(name string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < ' ' {
			return '_'
		}
		return r
	}, name)
}
