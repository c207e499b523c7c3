// Package token owns the CI job's OIDC ID token on its way to STS: where it
// comes from (an environment variable, a file, the GitHub Actions token
// endpoint), decoding it without verifying it, and the preflight checks
// (expiry, not-before, audience, remaining lifetime) that turn a doomed STS
// call into an error a person can act on.
//
// The signature is never verified here: STS does that against the issuer's
// keys. Decoding only has to be strict enough to catch what STS would reject
// anyway, and to read the claims that explain a refusal.
//
// The raw token is a credential. It is only reachable through Token.Value;
// every printing path of Token shows the safe claims, and no error of this
// package contains any part of the token. Withhold keeps it, and the means
// to mint another, out of a process environment handed on.
package token

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Size limits of the WebIdentityToken parameter of
// AssumeRoleWithWebIdentity: checking them here gives a clear error instead
// of an STS ValidationError.
const (
	MinSize = 4
	MaxSize = 20000
)

// Token is a decoded, unverified JWT.
//
// Printing a Token with fmt (any verb) or slog shows only the safe claims,
// never the raw token or its signature.
type Token struct {
	Header Header
	Claims Claims

	raw string
}

// Header is the JOSE header of the token.
type Header struct {
	Alg string
	Kid string
	Typ string
}

// Claims are the claims of the token that the tool reads. Times are zero
// when the claim is absent. GitLab sends numeric ids and booleans as strings
// ("42", "true"); numbers and booleans from other issuers are kept in their
// JSON text form, so every CI claim is a string.
type Claims struct {
	Issuer    string
	Subject   string
	Audience  []string
	ExpiresAt time.Time
	NotBefore time.Time
	IssuedAt  time.Time
	ID        string

	// GitLab claims.
	NamespaceID          string
	NamespacePath        string
	ProjectID            string
	ProjectPath          string
	ProjectVisibility    string
	UserID               string
	UserLogin            string
	UserEmail            string
	UserAccessLevel      string
	PipelineID           string
	PipelineSource       string
	JobID                string
	Ref                  string
	RefType              string
	RefPath              string
	RefProtected         string
	Environment          string
	EnvironmentProtected string
	EnvironmentAction    string
	DeploymentTier       string
	RunnerID             string
	RunnerEnvironment    string
	SHA                  string
	CIConfigRefURI       string
	CIConfigSHA          string

	// GitHub claims worth a log line.
	Repository string
	Workflow   string
	RunID      string
	Actor      string
}

// GitHubIssuer is the issuer of GitHub Actions ID tokens on github.com.
const GitHubIssuer = "https://token.actions.githubusercontent.com"

// IsGitHub reports whether the token comes from GitHub Actions, so that hints
// can speak of workflows instead of id_tokens.
func (c Claims) IsGitHub() bool {
	// GHES issuers are <host>/_services/token; both carry the repository claim.
	return c.Issuer == GitHubIssuer || (c.Repository != "" && c.Workflow != "")
}

// KV is one log-safe claim.
type KV struct {
	Key   string
	Value string
}

// Safe returns the claims that may be logged and shown in hints, in a fixed
// order: iss, aud, sub, ref, ref_type, ref_protected, environment, exp (RFC
// 3339). Empty claims are left out. Personal claims such as user_email are
// never part of it.
func (c Claims) Safe() []KV {
	pairs := []KV{
		{"iss", c.Issuer},
		{"aud", strings.Join(c.Audience, ",")},
		{"sub", c.Subject},
		{"ref", c.Ref},
		{"ref_type", c.RefType},
		{"ref_protected", c.RefProtected},
		{"environment", c.Environment},
	}
	if !c.ExpiresAt.IsZero() {
		pairs = append(pairs, KV{"exp", c.ExpiresAt.UTC().Format(time.RFC3339)})
	}
	out := pairs[:0]
	for _, kv := range pairs {
		if kv.Value != "" {
			out = append(out, kv)
		}
	}
	return out
}

// Value returns the raw compact token, as it must be sent to STS. It is the
// only way to reach it.
func (t *Token) Value() string {
	if t == nil {
		return ""
	}
	return t.raw
}

// Secrets lists the parts of the token that must never appear in any output
// (the whole token, its payload and its signature), for scanners and maskers.
func (t *Token) Secrets() []string {
	if t == nil || t.raw == "" {
		return nil
	}
	parts := strings.Split(t.raw, ".")
	return []string{t.raw, parts[1], parts[2]}
}

// String implements fmt.Stringer with the safe claims only.
//
// String, GoString, Format, MarshalJSON and LogValue are redaction guards:
// nothing calls them by name, and dead-code tools list them, but they keep
// the raw token out of any future fmt, encoding/json or log/slog call that
// is handed a Token. Keep them.
func (t Token) String() string {
	var b strings.Builder
	b.WriteString("token{")
	for i, kv := range t.Claims.Safe() {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%q", kv.Key, kv.Value)
	}
	b.WriteByte('}')
	return b.String()
}

// GoString implements fmt.GoStringer so that %#v cannot reveal the token.
// A guard (see String): it stays although nothing calls it.
func (t Token) GoString() string { return t.String() }

// Format implements fmt.Formatter so that every verb, including %+v, %x and
// %q, goes through String. A guard (see String): it stays although nothing
// calls it.
func (t Token) Format(f fmt.State, verb rune) {
	_, _ = fmt.Fprint(f, t.String())
}

// MarshalJSON gives the safe claims as one object, so that a JSON log or a
// debug dump of a Token cannot carry more than its String does. A guard
// (see String): it stays although nothing calls it.
func (t Token) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, kv := range t.Claims.Safe() {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv.Key) // strings always encode
		v, _ := json.Marshal(kv.Value)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// LogValue implements slog.LogValuer with the safe claims. A guard (see
// String): it stays although nothing calls it.
func (t Token) LogValue() slog.Value {
	safe := t.Claims.Safe()
	attrs := make([]slog.Attr, 0, len(safe))
	for _, kv := range safe {
		attrs = append(attrs, slog.String(kv.Key, kv.Value))
	}
	return slog.GroupValue(attrs...)
}
