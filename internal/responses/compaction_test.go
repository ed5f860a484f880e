package responses

import (
	"strings"
	"testing"
)

// A compaction item whose encrypted_content held the prefix and nothing
// else was read as no message at all, and its request refused as "input is
// required and must not be empty", naming input, which was not empty. It
// is told as what it is, naming its encrypted_content.
func TestACompactionWithoutASummaryIsToldAsSuch(t *testing.T) {
	for _, content := range []string{CompactionPrefix, CompactionPrefix + " \n\t"} {
		_, err := DecodeCompaction(content, "input[0].encrypted_content")
		if err == nil || err.Param != "input[0].encrypted_content" || err.Code != "invalid_encrypted_content" || !strings.Contains(err.Message, "no summary") {
			t.Errorf("%q: %+v, want invalid_encrypted_content naming input[0].encrypted_content", content, err)
		}
	}
	if summary, err := DecodeCompaction(EncodeCompaction("the task so far"), "p"); err != nil || summary != "the task so far" {
		t.Errorf("a summary read back: %q %+v", summary, err)
	}
}
