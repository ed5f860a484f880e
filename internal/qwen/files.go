package qwen

// File is an attachment of a message, in the shape the web client sends in
// message.files after uploading an image (qwen-2026.md §4, vision upload):
// the upload token's file_id and file_url, the file's name, size and MIME
// type, and the web app's classification (type "image", showType "image",
// file_class "vision").
type File struct {
	Type           string   `json:"type"`
	File           FileInfo `json:"file"`
	ID             string   `json:"id"`
	URL            string   `json:"url"`
	Name           string   `json:"name"`
	CollectionName string   `json:"collection_name"`
	Progress       int      `json:"progress"`
	Status         string   `json:"status"`
	GreenNet       string   `json:"greenNet"`
	Size           int64    `json:"size"`
	Error          string   `json:"error"`
	ItemID         string   `json:"itemId"`
	FileType       string   `json:"file_type"`
	ShowType       string   `json:"showType"`
	FileClass      string   `json:"file_class"`
	UploadTaskID   string   `json:"uploadTaskId"`
	// Context is "full" on a document's entry (the model reads all of
	// it), absent on an image's.
	Context string `json:"context,omitempty"`
}

// FileInfo is File.file: the stored file's own record.
type FileInfo struct {
	CreatedAt int64        `json:"created_at"`
	Data      struct{}     `json:"data"`
	Filename  string       `json:"filename"`
	Hash      *string      `json:"hash"`
	ID        string       `json:"id"`
	UserID    string       `json:"user_id"`
	Meta      FileInfoMeta `json:"meta"`
	UpdateAt  int64        `json:"update_at"`
}

// FileInfoMeta is the stored file's name, size (bytes) and MIME type, and,
// for a document, how its parse went.
type FileInfoMeta struct {
	Name        string     `json:"name"`
	Size        int64      `json:"size"`
	ContentType string     `json:"content_type"`
	ParseMeta   *ParseMeta `json:"parse_meta,omitempty"`
}

// ParseMeta is a document's parse outcome: parse_status "success".
type ParseMeta struct {
	ParseStatus string `json:"parse_status"`
}

// NewImageFile is the message.files entry of an uploaded image: id and url
// from the upload token, name, size in bytes and MIME type of the bytes
// uploaded, at nowMs (Unix milliseconds).
func NewImageFile(id, url, name, contentType string, size int64, nowMs int64) File {
	return File{
		Type: "image",
		File: FileInfo{CreatedAt: nowMs, Filename: name, ID: id, UpdateAt: nowMs,
			Meta: FileInfoMeta{Name: name, Size: size, ContentType: contentType}},
		ID: id, URL: url, Name: name, Status: "uploaded", GreenNet: "success", Size: size,
		ItemID: newUUID(), FileType: contentType, ShowType: "image", FileClass: "vision", UploadTaskID: newUUID(),
	}
}

// NewDocumentFile is the message.files entry of an uploaded and parsed
// document (a PDF, a text file): id and url from the upload token, userID
// the first segment of its file_path, name, size in bytes and MIME type of
// the bytes uploaded, at nowMs (Unix milliseconds). Its shape is the web
// client's (weselow/Qwen2API src/utils/upload.js buildChatFileDescriptor at
// 374bc842; the HAR-derived entry of the peer UploadDocument names;
// JLPT4YOU/qwenai's PDF entry of 2025): type "file", showType "file", file_class "document",
// file_type the MIME type, context "full", and the file's meta.parse_meta
// {parse_status:"success"}. (One peer's HAR-derived entry says file_class
// "default"; the other sources agree on "document".)
func NewDocumentFile(id, url, userID, name, contentType string, size int64, nowMs int64) File {
	return File{
		Type: "file",
		File: FileInfo{CreatedAt: nowMs, Filename: name, ID: id, UserID: userID, UpdateAt: nowMs,
			Meta: FileInfoMeta{Name: name, Size: size, ContentType: contentType, ParseMeta: &ParseMeta{ParseStatus: "success"}}},
		ID: id, URL: url, Name: name, Status: "uploaded", GreenNet: "success", Size: size,
		ItemID: newUUID(), FileType: contentType, ShowType: "file", FileClass: "document", UploadTaskID: newUUID(), Context: "full",
	}
}
