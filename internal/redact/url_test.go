package redact

import "testing"

// An image URL keeps what it names and loses its credentials: a password
// in its user info (or a name alone there: a token), signed URLs'
// signatures and security tokens, in the query or the fragment.
func TestURLMasksTheCredentialsOfAURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://user:hunter2@127.0.0.1:8080/cat.png":                     "http://user:[REDACTED]@127.0.0.1:8080/cat.png",
		"https://user@example.com/cat.png":                               "https://[REDACTED]@example.com/cat.png",
		"https://ghp_SECRET@github.com/o/r/raw/a.png":                    "https://[REDACTED]@github.com/o/r/raw/a.png",
		"https://example.com/cat.png?size=2#frag":                        "https://example.com/cat.png?size=2#frag",
		"https://example.com/cat.png#access_token=abc&token_type=bearer": "https://example.com/cat.png#access_token=[REDACTED]&token_type=bearer",
		"https://example.com/c.png?v=1;X-Amz-Signature=abc;w=2":          "https://example.com/c.png?v=1;X-Amz-Signature=[REDACTED];w=2",
		"https://example.com/c.png?sig=abc#sig=def":                      "https://example.com/c.png?sig=[REDACTED]#sig=[REDACTED]",
		"https://example.com/c.png?&sig=abc&":                            "https://example.com/c.png?&sig=[REDACTED]&",
		"https://@example.com/c.png":                                     "https://@example.com/c.png",
		"https://b.s3.amazonaws.com/cat.png?X-Amz-Algorithm=AWS4&X-Amz-Credential=AKIA%2F2026&X-Amz-Security-Token=IQo&X-Amz-Signature=abc123&v=1": "https://b.s3.amazonaws.com/cat.png?X-Amz-Algorithm=AWS4&X-Amz-Credential=[REDACTED]&X-Amz-Security-Token=[REDACTED]&X-Amz-Signature=[REDACTED]&v=1",
		"https://a.blob.core.windows.net/c/cat.png?sv=2024&sig=xyz%3D":                                                                             "https://a.blob.core.windows.net/c/cat.png?sv=2024&sig=[REDACTED]",
		"https://oss.example.com/cat.png?OSSAccessKeyId=LTAI&Expires=1&Signature=s%2B":                                                             "https://oss.example.com/cat.png?OSSAccessKeyId=LTAI&Expires=1&Signature=[REDACTED]",
		"HTTPS://u:p@example.com?access_token=t":                                                                                                   "HTTPS://u:[REDACTED]@example.com?access_token=[REDACTED]",
		"data:image/png;base64,AAAA":                                                                                                               "data:image/png;base64,AAAA",
		"https://example.com/a@b/cat.png":                                                                                                          "https://example.com/a@b/cat.png",
	} {
		if got := URL(in); got != want {
			t.Errorf("URL(%q)\n got %q\nwant %q", in, got, want)
		}
	}
}
