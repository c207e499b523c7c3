package harness

import (
	"encoding/base64"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Leaks collects the values that must never be printed (ID tokens, secret
// keys, session tokens) and every output captured from a process, and fails
// the test when any output holds any of them, in any common encoding. The
// scan runs when the test ends, so secrets learned late (from a dotenv file
// written after the process printed) are still checked against early output.
type Leaks struct {
	parent *Leaks

	mu      sync.Mutex
	secrets []secret
	outputs []output
}

type secret struct{ label, form, value string }

type output struct{ name, text string }

// NewLeaks returns a scanner that checks everything recorded into it when t
// ends (after t's other cleanups registered later, such as stopping servers).
// Secrets added to it are also added to parent, so that a server shared by
// several subtests is scanned for all of their secrets; parent may be nil.
func NewLeaks(t testing.TB, parent *Leaks) *Leaks {
	l := &Leaks{parent: parent}
	t.Cleanup(func() { l.Check(t) })
	return l
}

// Secret registers a value that must never appear in any output. Values
// shorter than 8 bytes are ignored: they would match by chance.
func (l *Leaks) Secret(label, value string) {
	if len(value) < 8 {
		return
	}
	l.mu.Lock()
	for form, v := range Encodings(value) {
		l.secrets = append(l.secrets, secret{label: label, form: form, value: v})
	}
	l.mu.Unlock()
	if l.parent != nil {
		l.parent.Secret(label, value)
	}
}

// Encodings are the forms a careless program prints a secret in: as is,
// base64 in each alphabet, URL-escaped, and for a JWT its signature alone
// (printing "just the payload" is fine: it holds claims, not credentials).
func Encodings(v string) map[string]string {
	forms := map[string]string{
		"raw":           v,
		"base64":        base64.StdEncoding.EncodeToString([]byte(v)),
		"base64-raw":    base64.RawStdEncoding.EncodeToString([]byte(v)),
		"base64url":     base64.URLEncoding.EncodeToString([]byte(v)),
		"base64url-raw": base64.RawURLEncoding.EncodeToString([]byte(v)),
		"query-escaped": url.QueryEscape(v),
		"path-escaped":  url.PathEscape(v),
	}
	if parts := strings.Split(v, "."); len(parts) == 3 && len(parts[2]) >= 16 {
		forms["jwt-signature"] = parts[2]
	}
	return forms
}

// Output records a process's output under a name such as "aws-oidc stderr".
func (l *Leaks) Output(name, text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.outputs = append(l.outputs, output{name: name, text: text})
}

// Check fails t for every secret found in any output recorded so far. It
// never prints the secret itself, only which one, in which form, and where.
func (l *Leaks) Check(t testing.TB) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, o := range l.outputs {
		for _, s := range l.secrets {
			if i := strings.Index(o.text, s.value); i >= 0 {
				t.Errorf("LEAK: %s holds the %s (%s form) at byte %d", o.name, s.label, s.form, i)
			}
		}
	}
}

// Redact replaces every known secret in text, for logging output safely.
func (l *Leaks) Redact(text string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.secrets {
		text = strings.ReplaceAll(text, s.value, "[REDACTED "+s.label+"]")
	}
	if l.parent != nil {
		return l.parent.Redact(text)
	}
	return text
}

// AssertNoSecret fails t at once for every secret (by label) found in any of
// its Encodings in any of texts (by where the text came from), and says
// whether none was. Like Leaks, it never prints a secret, and ignores values
// shorter than 8 bytes.
func AssertNoSecret(t testing.TB, texts, secrets map[string]string) (clean bool) {
	t.Helper()
	clean = true
	for label, value := range secrets {
		if len(value) < 8 {
			continue
		}
		for form, v := range Encodings(value) {
			for where, text := range texts {
				if i := strings.Index(text, v); i >= 0 {
					t.Errorf("LEAK: %s holds the %s (%s form) at byte %d", where, label, form, i)
					clean = false
				}
			}
		}
	}
	return clean
}
