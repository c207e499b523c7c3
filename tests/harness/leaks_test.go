package harness

import (
	"encoding/base64"
	"net/url"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, format)
}
func (r *recorder) Helper() {}

func TestLeaksFindsEveryForm(t *testing.T) {
	t.Parallel()
	const secretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWJ5dGVzLWhlcmU"
	tests := []struct {
		name   string
		text   string
		leaked bool
	}{
		{name: "clean", text: "assumed role deploy, key ASIA…WXYZ", leaked: false},
		{name: "raw", text: "secret=" + secretKey, leaked: true},
		{name: "base64", text: base64.StdEncoding.EncodeToString([]byte(secretKey)), leaked: true},
		{name: "base64url_raw", text: base64.RawURLEncoding.EncodeToString([]byte(secretKey)), leaked: true},
		{name: "query_escaped", text: "X-Amz-Security-Token=" + url.QueryEscape(secretKey), leaked: true},
		{name: "jwt_signature_alone", text: "sig c2lnbmF0dXJlLWJ5dGVzLWhlcmU", leaked: true},
		{name: "jwt_payload_alone_is_fine", text: "claims eyJzdWIiOiJ4In0", leaked: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := &recorder{TB: t}
			l := &Leaks{}
			l.Secret("secret key", secretKey)
			l.Secret("ID token", jwt)
			l.Output("stderr", tc.text)
			l.Check(r)
			if got := len(r.errors) > 0; got != tc.leaked {
				t.Errorf("leak found = %v, want %v", got, tc.leaked)
			}
			if got := l.Redact(tc.text); tc.leaked && got == tc.text {
				t.Errorf("Redact left the text unchanged")
			}
		})
	}
}
