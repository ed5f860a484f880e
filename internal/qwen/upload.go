package qwen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"

	"qwenproxy/internal/redact"
)

// uploadToken is Qwen's answer to getstsToken: temporary (STS) credentials
// for one object of its Alibaba OSS bucket, and the file's id and URL
// (qwen-2026.md §4; field names as the web client reads them).
type uploadToken struct {
	AccessKeyID     string `json:"access_key_id"`
	AccessKeySecret string `json:"access_key_secret"`
	SecurityToken   string `json:"security_token"`
	Bucket          string `json:"bucketname"`
	Region          string `json:"region"`   // e.g. oss-ap-southeast-1
	Endpoint        string `json:"endpoint"` // e.g. oss-ap-southeast-1.aliyuncs.com
	FileID          string `json:"file_id"`
	FilePath        string `json:"file_path"` // the object's key
	FileURL         string `json:"file_url"`
}

// Upload puts an image into the object store Qwen names, the way the web
// client does: an upload token from Qwen (POST /api/v2/files/getstsToken,
// /api/v1/… when v2 is unknown), then the bytes to the bucket it names,
// signed with the token's credentials by Alibaba's OSS SDK (V4 signatures).
// It returns the message.files entry that attaches the image to a turn of
// chatID, and the upstream attempts made (the token's, then the upload's).
// data is the image, name its file name, contentType its MIME type.
func (c *Client) Upload(ctx context.Context, chatID, name, contentType string, data []byte) (File, Attempts, error) {
	tok, attempts, err := c.store(ctx, chatID, "image", name, contentType, data)
	if err != nil {
		return File{}, attempts, err
	}
	return NewImageFile(tok.FileID, tok.FileURL, name, contentType, int64(len(data)), c.now().UnixMilli()), attempts, nil
}

// store takes an upload token for a file of filetype ("image", or "file"
// for a document) and puts data where it says.
func (c *Client) store(ctx context.Context, chatID, filetype, name, contentType string, data []byte) (uploadToken, Attempts, error) {
	var tok uploadToken
	var attempts Attempts
	err := c.retry(ctx, "files_sts", &attempts, func() error {
		var err error
		tok, err = c.uploadToken(ctx, chatID, filetype, name, len(data))
		return err
	})
	if err != nil {
		return uploadToken{}, attempts, err
	}
	attempts.N++
	err = c.putObject(ctx, tok, contentType, data)
	c.observe(ctx, "files_put", err)
	return tok, attempts, err
}

func (c *Client) uploadToken(ctx context.Context, chatID, filetype, name string, size int) (uploadToken, error) {
	creds, err := c.cfg.Credentials.Credentials(ctx)
	if err != nil {
		return uploadToken{}, err
	}
	// The filesize is a string: the web client sends it so.
	body, err := json.Marshal(map[string]string{"filename": name, "filesize": strconv.Itoa(size), "filetype": filetype})
	if err != nil {
		return uploadToken{}, fmt.Errorf("encode upload token request: %w", err)
	}
	header := func(r *http.Request) {
		c.setHeaders(r, creds, refererChat, chatID)
		r.Header.Set("Content-Type", "application/json")
	}
	b, err := c.do(ctx, http.MethodPost, "/api/v2/files/getstsToken", body, creds, header)
	if qe, ok := AsError(err); ok && qe.Kind == KindNotFound {
		b, err = c.do(ctx, http.MethodPost, "/api/v1/files/getstsToken", body, creds, header)
	}
	if err != nil {
		return uploadToken{}, err
	}
	var answer struct {
		Success *bool       `json:"success"`
		Data    uploadToken `json:"data"`
	}
	if err := json.Unmarshal(b, &answer); err != nil {
		// Not the body: what a cut-off answer holds is the credentials.
		return uploadToken{}, &Error{Kind: KindBadResponse, Message: fmt.Sprintf("unreadable upload token (%d bytes)", len(b)), Err: err}
	}
	if answer.Success == nil || !*answer.Success {
		var env envelope
		if json.Unmarshal(b, &env) == nil {
			if f := env.failure(0); f != nil {
				return uploadToken{}, f
			}
		}
		return uploadToken{}, &Error{Kind: KindBadResponse, Message: "upload token refused: " + Summarize(b)}
	}
	t := answer.Data
	if missing := t.missing(); len(missing) > 0 {
		// The fields by name, not the body: it holds the credentials.
		return uploadToken{}, &Error{Kind: KindBadResponse, Message: "the upload token lacks " + strings.Join(missing, ", ")}
	}
	return t, nil
}

// missing names the fields the upload needs that the token left empty.
func (t *uploadToken) missing() []string {
	var out []string
	for _, f := range []struct{ name, value string }{
		{"access_key_id", t.AccessKeyID}, {"access_key_secret", t.AccessKeySecret}, {"security_token", t.SecurityToken},
		{"bucketname", t.Bucket}, {"endpoint", t.Endpoint}, {"file_id", t.FileID}, {"file_path", t.FilePath}, {"file_url", t.FileURL},
	} {
		if f.value == "" {
			out = append(out, f.name)
		}
	}
	return out
}

// putObject puts data under the token's file path. The endpoint Qwen names
// is a host (https, virtual-hosted buckets: <bucket>.<endpoint>); an
// endpoint given with its scheme on an IP address or localhost (the
// simulator) is addressed path-style (<endpoint>/<bucket>/<key>). Plain
// http is the simulator's alone, on a loopback address: anywhere else the
// image and the token's signature would cross the network in clear.
func (c *Client) putObject(ctx context.Context, tok uploadToken, contentType string, data []byte) error {
	endpoint := tok.Endpoint
	if !strings.Contains(endpoint, "://") {
		endpoint = "https://" + endpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return &Error{Kind: KindBadResponse, Message: "the upload token's endpoint is not a host: " + tok.Endpoint}
	}
	host := u.Hostname()
	if u.Scheme != "https" && (u.Scheme != "http" || !isLoopback(host)) {
		return &Error{Kind: KindBadResponse, Message: "the upload token's endpoint is not https: " + tok.Endpoint}
	}
	pathStyle := host == "localhost" || net.ParseIP(host) != nil
	cfg := oss.LoadDefaultConfig().
		WithCredentialsProvider(credentials.NewStaticCredentialsProvider(tok.AccessKeyID, tok.AccessKeySecret, tok.SecurityToken)).
		WithRegion(strings.TrimPrefix(tok.Region, "oss-")).
		WithEndpoint(endpoint).
		WithUsePathStyle(pathStyle).
		WithHttpClient(c.http).
		WithRetryMaxAttempts(2)
	if cfg.Region == nil || *cfg.Region == "" {
		cfg = cfg.WithRegion("ap-southeast-1")
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	_, err = oss.NewClient(cfg).PutObject(ctx, &oss.PutObjectRequest{
		Bucket: oss.Ptr(tok.Bucket), Key: oss.Ptr(tok.FilePath),
		ContentType: oss.Ptr(contentType), Body: bytes.NewReader(data),
	})
	if err == nil {
		return nil
	}
	var se *oss.ServiceError
	if errors.As(err, &se) {
		kind := KindServer
		if se.StatusCode >= 400 && se.StatusCode < 500 {
			kind = KindBadRequest
		}
		return &Error{Kind: kind, Status: se.StatusCode, Code: se.Code, Message: "the object store refused the file: " + redact.Text(se.Message)}
	}
	if ctx.Err() != nil {
		return &Error{Kind: KindTimeout, Message: "the object store did not take the file in time", Err: err}
	}
	return &Error{Kind: KindNetwork, Message: "cannot reach the object store at " + u.Host, Err: err}
}

// isLoopback reports whether host names this machine: localhost, or an
// address of 127.0.0.0/8 or ::1.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
