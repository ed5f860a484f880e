package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"qwenproxy/internal/qwen"
	"qwenproxy/internal/qwensim"
)

func TestDoctorDiagnosesEachKnownFailure(t *testing.T) {
	expired := "token=eyJhbGciOiJIUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(`{"id":"u","exp":1000}`)) + ".c2ln"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + ln.Addr().String()
	ln.Close()
	cases := []struct {
		name    string
		faults  []qwensim.Fault
		cookies string
		baseURL string
		want    qwen.Diagnosis
		steps   int // steps reported
		advice  string
	}{
		{"a good round trip", nil, "", "", qwen.DiagnosisOK, 4, ""},
		{"firewall", []qwensim.Fault{{Endpoint: qwensim.EndpointModels, Firewall: true}}, "", "", qwen.DiagnosisFirewall, 2, "fresh Cookie"},
		{"risk control", []qwensim.Fault{{Endpoint: qwensim.EndpointNewChat, RiskControl: true}}, "", "", qwen.DiagnosisFirewall, 3, ""},
		{"outdated web client", []qwensim.Fault{{Endpoint: qwensim.EndpointNewChat, Envelope: qwensim.CodeBadRequest, Details: qwensim.InternalError}},
			"", "", qwen.DiagnosisOutdatedClient, 3, "QWEN_WEB_VERSION"},
		{"token rejected", []qwensim.Fault{{Endpoint: qwensim.EndpointModels, Status: 401}}, "", "", qwen.DiagnosisCredentialsRejected, 2, ""},
		{"token expired", nil, expired, "", qwen.DiagnosisCredentialsRejected, 1, ""},
		{"too many messages", []qwensim.Fault{{Envelope: qwensim.CodeBadRequest, Details: qwensim.TooManyMessages}}, "", "", qwen.DiagnosisTooManyMessages, 4, ""},
		{"rate limit", []qwensim.Fault{{Envelope: qwensim.CodeRateLimited, Details: "You've reached the upper limit for today's usage.", Num: 5}},
			"", "", qwen.DiagnosisRateLimited, 4, "wait 5 hours"},
		{"unreachable", nil, "", closedURL, qwen.DiagnosisUnreachable, 2, ""},
		{"no credentials", nil, "acw_tc=only", "", qwen.DiagnosisNoCredentials, 1, "QWEN_ACCOUNTS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sim, err := qwensim.Start(qwensim.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer sim.Close()
			sim.Inject(tc.faults...)
			cookies := "acw_tc=secret-acw-value; " + qwensim.LoginCookie()
			if tc.cookies != "" {
				cookies = tc.cookies
			}
			env := map[string]string{"QWEN_BASE_URL": sim.URL, "QWEN_COOKIES": cookies, "QWEN_TIMEOUT": "10000",
				"DATABASE_PATH": filepath.Join(t.TempDir(), "none.db")}
			if tc.baseURL != "" {
				env["QWEN_BASE_URL"] = tc.baseURL
			}
			getenv := func(k string) string { return env[k] }
			var out, errOut bytes.Buffer
			code := run(context.Background(), []string{"doctor", "--json"}, getenv, &out, &errOut)
			var rep doctorReport
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				t.Fatalf("%v: %s %s", err, out.String(), errOut.String())
			}
			if code != tc.want.Code || rep.Diagnosis.Name != tc.want.Name || len(rep.Steps) != tc.steps || !strings.Contains(rep.Diagnosis.Advice, tc.advice) {
				t.Fatalf("exit %d, report %s", code, out.String())
			}
			for i, s := range rep.Steps {
				if s.OK != (i < len(rep.Steps)-1 || code == 0) {
					t.Fatalf("step %d %+v", i, s)
				}
			}
			if tc.name == "no credentials" && !strings.Contains(rep.Diagnosis.Advice, "accounts add") {
				t.Fatalf("the advice names no way to add an account: %s", rep.Diagnosis.Advice)
			}
			if tc.name == "token expired" && len(sim.Calls()) != 0 {
				t.Fatal("an expired token was sent upstream")
			}
			// The same run in words never prints a secret either.
			out.Reset()
			sim.Inject(tc.faults...)
			if run(context.Background(), []string{"doctor"}, getenv, &out, &errOut) != code {
				t.Fatalf("text run: %s", out.String())
			}
			jwt := strings.TrimPrefix(qwensim.LoginCookie(), "token=")
			for _, secret := range []string{"secret-acw-value", jwt} {
				if strings.Contains(out.String()+errOut.String(), secret) {
					t.Fatalf("secret printed: %s", out.String())
				}
			}
			if !strings.Contains(out.String(), "diagnosis: "+tc.want.Name) {
				t.Fatalf("text %s", out.String())
			}
		})
	}
}

// Without a pasted cookie the doctor checks as the first account of
// QWEN_ACCOUNTS, signed in (it said no credentials were configured and told
// to set QWEN_ACCOUNTS, which was set); a refused password is diagnosed as
// the account's, with advice about its password.
func TestDoctorChecksAsTheFirstAccount(t *testing.T) {
	sim, err := qwensim.Start(qwensim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	sim.AddAccount("ada@example.com", "right password")
	for _, tc := range []struct {
		password string
		want     qwen.Diagnosis
		advice   string
	}{
		{"right password", qwen.DiagnosisOK, ""},
		{"wrong password", qwen.DiagnosisCredentialsRejected, "QWEN_ACCOUNTS"},
	} {
		env := map[string]string{"QWEN_BASE_URL": sim.URL, "QWEN_ACCOUNTS": "ada@example.com:" + tc.password, "QWEN_TIMEOUT": "10000",
			"DATABASE_PATH": filepath.Join(t.TempDir(), "none.db")}
		code, rep, out := doctorJSON(t, env)
		if code != tc.want.Code || rep.Diagnosis.Name != tc.want.Name || rep.Credentials != "account ada@example.com" ||
			!strings.Contains(rep.Diagnosis.Advice, tc.advice) || strings.Contains(out, tc.password) {
			t.Fatalf("%s: exit %d, report %s", tc.password, code, out)
		}
	}
}

// A pasted Cookie header that cannot sign a call (no token=…, no
// bx-umidtoken) is no_credentials, and the step says why: it said "none
// configured", though QWEN_COOKIES was set.
func TestDoctorSaysWhyPastedCredentialsAreNotUsable(t *testing.T) {
	env := map[string]string{"QWEN_BASE_URL": "http://127.0.0.1:1", "QWEN_COOKIES": "acw_tc=c00k1e",
		"DATABASE_PATH": filepath.Join(t.TempDir(), "none.db")}
	code, rep, out := doctorJSON(t, env)
	if code != qwen.DiagnosisNoCredentials.Code || len(rep.Steps) != 1 || !strings.Contains(rep.Steps[0].Detail, "holds no token=") ||
		strings.Contains(out, "c00k1e") {
		t.Fatalf("exit %d, report %s", code, out)
	}
	// The report for people says why too: it printed only "no Qwen
	// credentials are configured", the why being in --json alone.
	var text, errOut bytes.Buffer
	run(context.Background(), []string{"doctor"}, func(k string) string { return env[k] }, &text, &errOut)
	if !strings.Contains(text.String(), "holds no token=") || strings.Contains(text.String(), "c00k1e") {
		t.Fatalf("doctor: %s %s", text.String(), errOut.String())
	}
}

// Qwen's words, quoted in the doctor's report for people, reach the terminal
// with their control characters escaped, as client content does in the
// history's tables.
func TestDoctorShowsQwensControlCharactersEscaped(t *testing.T) {
	sim, err := qwensim.Start(qwensim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	sim.Inject(qwensim.Fault{Endpoint: qwensim.EndpointNewChat, Envelope: qwensim.CodeBadRequest, Details: "no \x1b]0;pwned\x07 chat\x1b[2J"})
	env := map[string]string{"QWEN_BASE_URL": sim.URL, "QWEN_COOKIES": "acw_tc=secret-acw-value; " + qwensim.LoginCookie(), "QWEN_TIMEOUT": "10000",
		"DATABASE_PATH": filepath.Join(t.TempDir(), "none.db")}
	var out, errOut bytes.Buffer
	run(context.Background(), []string{"doctor"}, func(k string) string { return env[k] }, &out, &errOut)
	if !strings.Contains(out.String(), `no \x1b]0;pwned\a chat\x1b[2J`) || strings.ContainsAny(out.String(), "\x1b\x07") {
		t.Fatalf("doctor: %q %s", out.String(), errOut.String())
	}
}

// The doctor shows when the login token expires (or expired) as the other
// commands show times: in the local zone, with the zone. It printed the
// local time without its zone ("2100-01-01 01:00:00" under TZ=Europe/Oslo),
// which read as UTC.
func TestDoctorShowsTheTokenExpiryWithItsZone(t *testing.T) {
	// A process of its own: setting time.Local here races with every
	// goroutine that reads the clock.
	bin := buildBinary(t)
	sim, err := qwensim.Start(qwensim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	expired := "token=eyJhbGciOiJIUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(`{"id":"u","exp":1000}`)) + ".c2ln"
	for cookies, want := range map[string]string{
		qwensim.LoginCookie(): "the login token expires 2100-01-01 01:00:00 CET",
		expired:               "the login token expired 1970-01-01 01:16:40 CET",
	} {
		cmd := exec.Command(bin, "doctor")
		cmd.Env = []string{"TZ=Europe/Oslo", "QWEN_BASE_URL=" + sim.URL, "QWEN_COOKIES=" + cookies, "QWEN_TIMEOUT=10000",
			"DATABASE_PATH=" + filepath.Join(t.TempDir(), "none.db"), "HOME=" + t.TempDir()}
		out, _ := cmd.CombinedOutput() // the expired token's diagnosis exits 3
		if !strings.Contains(string(out), want) {
			t.Fatalf("want %q in:\n%s", want, out)
		}
	}
}

// doctorJSON runs `doctor --json` with the environment env and returns its
// exit code, its report and what it printed.
func doctorJSON(t *testing.T, env map[string]string, args ...string) (int, doctorReport, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), append([]string{"doctor", "--json"}, args...), func(k string) string { return env[k] }, &out, &errOut)
	var rep doctorReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s %s", err, out.String(), errOut.String())
	}
	return code, rep, out.String()
}
