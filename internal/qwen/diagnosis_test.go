package qwen

import (
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestDiagnoseTellsThrottlingFromTheQuota: Qwen's "please slow down"
// (Too_Many_Requests, qwen-wire.md §5) and an HTTP 429 are throttling, a
// rest of seconds; its advice named the usage limit, as for the quota
// (RateLimited, with the hours to wait), whose advice stays.
func TestDiagnoseTellsThrottlingFromTheQuota(t *testing.T) {
	for _, tc := range []struct {
		err  *Error
		want string
	}{
		{&Error{Kind: KindRateLimited, Code: "Too_Many_Requests", Message: "please slow down"}, "slow down"},
		{&Error{Kind: KindRateLimited, Status: 429}, "slow down"},
		{&Error{Kind: KindRateLimited, Code: "RateLimited", Message: "You've reached the upper limit for today's usage."}, "usage limit"},
	} {
		d := Diagnose(tc.err)
		if d.Code != DiagnosisRateLimited.Code || !strings.Contains(d.Advice, tc.want) {
			t.Errorf("%+v: %+v, want advice about %q", tc.err, d, tc.want)
		}
	}
}

// Qwen's ContextLengthExceeded is no passing failure: "try again later"
// (the advice of a failure without a known remedy) was wrong for it. Its
// advice names it and what to change, under the same exit status.
func TestDiagnoseTellsAConversationTooLong(t *testing.T) {
	d := Diagnose(&Error{Kind: KindTooLong, Code: "ContextLengthExceeded", Message: "The input is too long"})
	if d.Code != DiagnosisUpstream.Code || strings.Contains(d.Advice, "try again later") || !strings.Contains(d.Advice, "ContextLengthExceeded") || !strings.Contains(d.Advice, "--model") {
		t.Fatalf("%+v", d)
	}
}

// A bare 403 was told as "the login token is expired or was rejected", in
// the log's advice and doctor's, where it is as likely the firewall's block
// of this address (qwen-2026.md §5): its advice says both, under the same
// code; an explicit refusal keeps its own.
func TestDiagnoseTellsABare403FromARefusedToken(t *testing.T) {
	d := Diagnose(&Error{Kind: KindAuth, Status: 403, Message: "Forbidden"})
	if d.Code != DiagnosisCredentialsRejected.Code || !strings.Contains(d.Advice, "403") || !strings.Contains(d.Advice, "firewall") {
		t.Errorf("a bare 403: %+v", d)
	}
	if d := Diagnose(&Error{Kind: KindAuth, Status: 401, Message: "Unauthorized"}); d != DiagnosisCredentialsRejected {
		t.Errorf("a 401: %+v", d)
	}
}

// A call that could not open a socket (the process out of file
// descriptors: 80 clients against a limit of 60) was advised to check
// QWEN_BASE_URL, the network and any proxy, none of which was at fault.
func TestDiagnoseTellsAProcessOutOfFileDescriptors(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE} {
		err := &Error{Kind: KindNetwork, Message: "cannot reach Qwen at http://127.0.0.1:1",
			Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("socket", errno)}}
		d := Diagnose(err)
		if d.Code != DiagnosisUnreachable.Code || !strings.Contains(d.Advice, "file descriptors") || !strings.Contains(d.Advice, "ulimit -n") ||
			strings.Contains(d.Advice, "QWEN_BASE_URL") {
			t.Errorf("%v: %+v", errno, d)
		}
	}
	if d := Diagnose(&Error{Kind: KindNetwork, Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}); d != DiagnosisUnreachable {
		t.Errorf("a refused connection: %+v", d)
	}
}
