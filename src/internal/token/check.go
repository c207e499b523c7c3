package token

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
)

// CheckOptions says what Check expects of a token.
type CheckOptions struct {
	// Now is the time to check against; zero means time.Now().
	Now time.Time
	// Audience, when not empty, must be one of the token's "aud" values.
	Audience string
	// MinLifetime is how long the token must still be valid after Now, so
	// that it does not expire between the check and STS (retries included).
	MinLifetime time.Duration
	// Skew is the clock difference allowed between this machine and the
	// issuer for "nbf" and "iat". Expiry gets no skew: STS checks it with
	// its own clock, and a token that close to its end is of no use.
	Skew time.Duration
}

// Check runs the preflight checks that spare a doomed STS call, in the order
// that explains a failure best: expired, not yet valid, wrong audience, too
// little lifetime left. It returns the first failure as *ExpiredError,
// *NotYetValidError, *AudienceError or *LifetimeError.
func Check(t *Token, opts CheckOptions) error {
	if t == nil {
		return errors.New("no token to check")
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	c := t.Claims

	if err := printable(c); err != nil {
		return err
	}
	if !c.ExpiresAt.After(now) {
		return &ExpiredError{ExpiredAt: c.ExpiresAt, Now: now}
	}
	if !c.NotBefore.IsZero() && c.NotBefore.After(now.Add(opts.Skew)) {
		return &NotYetValidError{Claim: "nbf", NotBefore: c.NotBefore, Now: now, Skew: opts.Skew}
	}
	if !c.IssuedAt.IsZero() && c.IssuedAt.After(now.Add(opts.Skew)) {
		return &NotYetValidError{Claim: "iat", NotBefore: c.IssuedAt, Now: now, Skew: opts.Skew}
	}
	if opts.Audience != "" && !slices.Contains(c.Audience, opts.Audience) {
		return &AudienceError{Want: opts.Audience, Got: c.Audience}
	}
	if opts.MinLifetime > 0 && !c.ExpiresAt.After(now.Add(opts.MinLifetime)) {
		return &LifetimeError{ExpiresAt: c.ExpiresAt, Now: now, Min: opts.MinLifetime}
	}
	return nil
}

// printable refuses a token whose shown claims hold a control character:
// neither GitLab nor GitHub issues one (git refs and project paths cannot
// hold them), and such a value is made to forge log lines or CI commands
// (a newline then "::add-mask::"), not to be matched by a trust policy.
func printable(c Claims) error {
	shown := append(c.Safe(), KV{"project_path", c.ProjectPath}, KV{"namespace_path", c.NamespacePath}, KV{"repository", c.Repository})
	for _, kv := range shown {
		if strings.ContainsFunc(kv.Value, unicode.IsControl) || strings.ContainsAny(kv.Value, "\u2028\u2029") {
			return &MalformedError{Part: "payload", Claim: kv.Key, Reason: fmt.Sprintf("claim %q holds a control character, which no GitLab or GitHub ID token does", kv.Key)}
		}
	}
	return nil
}
