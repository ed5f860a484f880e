package responses

import "testing"

func TestRecordRefIsTheRecordsFormOnly(t *testing.T) {
	const sum = "57cda64cead0869cd5f90dfebb024f4bd9a922aaea91d513de6fa3e949d88921"
	for s, want := range map[string]string{
		"[image image/png, 75 bytes, sha256:" + sum + "]":          "image image/png, 75 bytes, sha256:" + sum,
		"[image, 75 bytes, sha256:" + sum + "]":                    "image, 75 bytes, sha256:" + sum,
		"[document application/pdf, 9 bytes, sha256:" + sum + "]":  "document application/pdf, 9 bytes, sha256:" + sum,
		"[image image/png, 75 bytes, sha256:abc]":                  "",
		"[image image/png, 75 bytes, sha256:" + sum + "] and more": "",
		"file-abc": "",
		"[audio audio/wav, 75 bytes, sha256:" + sum + "]": "",
	} {
		got, ok := RecordRef(s)
		if got != want || ok != (want != "") {
			t.Errorf("RecordRef(%q) = %q, %v; want %q", s, got, ok, want)
		}
	}
}
