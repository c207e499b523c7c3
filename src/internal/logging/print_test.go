package logging

import (
	"bytes"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, line string }{
		{name: "plain", in: "arn:aws:iam::123456789012:role/deploy", line: "arn:aws:iam::123456789012:role/deploy"},
		{name: "newline", in: "main\n::add-mask::x", line: `main\n::add-mask::x`},
		{name: "gitlab_section", in: "\x1b[0Ksection_start:1:x\r\x1b[0K", line: `\x1b[0Ksection_start:1:x\r\x1b[0K`},
		{name: "c1_csi", in: "a\u009b31mb", line: `a\u009b31mb`},
		{name: "line_separator", in: "a\u2028b", line: `a\u2028b`},
		{name: "invalid_utf8", in: "a\xffb", line: `a\xffb`},
		{name: "tab_nul_del", in: "a\tb\x00c\x7f", line: `a\tb\x00c\x7f`},
		{name: "unicode_kept", in: "café ✓", line: "café ✓"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Line(tc.in); got != tc.line {
				t.Errorf("Line = %q, want %q", got, tc.line)
			}
		})
	}
}

func TestSecretsScrubEveryForm(t *testing.T) {
	t.Parallel()
	s := NewSecrets()
	token := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwcm9qZWN0X3BhdGg6ZyJ9.c2lnbmF0dXJlLXRoYXQtaXMtc2VjcmV0"
	key := "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
	s.AddToken(token)
	s.Add(key, "short")
	parts := strings.Split(token, ".")
	payload, sig := parts[1], parts[2]
	for _, leak := range []string{token, payload, sig, key, url.QueryEscape(key), base64.StdEncoding.EncodeToString([]byte(key)), "eyJhbGciOiJSUzI1NiJ9"} {
		got := s.Scrub("server says: " + leak + " (again " + leak + ")")
		if strings.Contains(got, leak) || !strings.Contains(got, Redacted) {
			t.Errorf("Scrub left %q in %q", leak, got)
		}
	}
	if got := s.Scrub("short words stay"); got != "short words stay" {
		t.Errorf("a value under %d bytes was scrubbed: %q", minSecret, got)
	}
	var none *Secrets
	if none.Scrub("x") != "x" || none.Holds("x") {
		t.Error("a nil set must scrub nothing")
	}
}

func TestWriter(t *testing.T) {
	t.Parallel()
	secrets := NewSecrets()
	secrets.Add("SESSIONTOKENSECRET")
	var b bytes.Buffer
	w := NewWriter(&b, secrets)
	for _, rec := range []string{
		"error: server said SESSIONTOKENSECRET\n",
		"  ref  main\n::add-mask::x\x1b[31m\n",
		"::add-mask::forged\n",
		"   ::set-output name=x::y\n",
		"##[group]forged\n",
		"no newline",
	} {
		if n, err := w.Write([]byte(rec)); err != nil || n != len(rec) {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if err := w.WriteLines("{\n  \"a\": 1\n}\n"); err != nil {
		t.Fatal(err)
	}
	_, _ = Raw(w).Write([]byte("::group::ours\n"))
	want := "error: server said [REDACTED]\n" +
		`  ref  main\n::add-mask::x\x1b[31m` + "\n" +
		`\x3a:add-mask::forged` + "\n" +
		`   \x3a:set-output name=x::y` + "\n" +
		`\x23#[group]forged` + "\n" +
		"no newline" +
		"{\n  \"a\": 1\n}\n" +
		"::group::ours\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
