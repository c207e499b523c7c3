package token

import (
	"fmt"
	"strings"
	"time"
)

// Every error here is built from claim values, times, names and paths only:
// never from the raw token or any slice of it, so that an error can be
// printed and logged as it is.

// MalformedError means the text is not a signed JWT that STS could accept.
type MalformedError struct {
	// Part is the part at fault: "header", "payload", "signature", or ""
	// for the token as a whole.
	Part string
	// Claim is the claim or header parameter at fault, if any ("exp", "alg").
	Claim string
	// Reason says what is wrong, without any token material.
	Reason string
}

func (e *MalformedError) Error() string {
	return "malformed token: " + e.Reason
}

// ExpiredError means the token's "exp" is not after now.
type ExpiredError struct {
	ExpiredAt time.Time
	Now       time.Time
}

func (e *ExpiredError) Error() string {
	return fmt.Sprintf("token expired at %s (\"exp\"), %s ago",
		stamp(e.ExpiredAt), roundDuration(e.Now.Sub(e.ExpiredAt)))
}

// NotYetValidError means the token's "nbf" or "iat" lies in the future by
// more than the allowed clock skew: the machine's clock and the issuer's
// disagree.
type NotYetValidError struct {
	// Claim is "nbf" or "iat".
	Claim     string
	NotBefore time.Time
	Now       time.Time
	Skew      time.Duration
}

func (e *NotYetValidError) Error() string {
	ahead := roundDuration(e.NotBefore.Sub(e.Now))
	if e.Claim == "iat" {
		return fmt.Sprintf("token issued at %s (\"iat\"), %s after this machine's clock (allowed skew %s)",
			stamp(e.NotBefore), ahead, e.Skew)
	}
	return fmt.Sprintf("token not valid before %s (\"nbf\"), %s after this machine's clock (allowed skew %s)",
		stamp(e.NotBefore), ahead, e.Skew)
}

// AudienceError means the token's "aud" does not contain the audience the
// user asked for.
type AudienceError struct {
	Want string
	Got  []string
}

func (e *AudienceError) Error() string {
	if len(e.Got) == 0 {
		return fmt.Sprintf("token has no audience (\"aud\"), want %q", e.Want)
	}
	return fmt.Sprintf("token audience (\"aud\") %s does not contain %q", quoteList(e.Got), e.Want)
}

// LifetimeError means the token is still valid but expires before the
// minimum lifetime the caller needs (for example before STS is reached after
// a few retries).
type LifetimeError struct {
	ExpiresAt time.Time
	Now       time.Time
	Min       time.Duration
}

func (e *LifetimeError) Error() string {
	return fmt.Sprintf("token expires at %s (\"exp\"), in %s, less than the %s required",
		stamp(e.ExpiresAt), roundDuration(e.ExpiresAt.Sub(e.Now)), e.Min)
}

// MissingError means a source found no token. It carries what a hint needs
// to tell the user what to add.
type MissingError struct {
	// Names are the environment variables that were tried, in order.
	Names []string
	// Path is the token file that was tried.
	Path string
	// From names the flag or variable that gave Path.
	From string
	// Empty is true when the file exists but holds nothing.
	Empty bool
	// GitHub is true when the GitHub Actions token endpoint is not
	// available: the workflow lacks `permissions: id-token: write`.
	GitHub bool
}

// from is " (from --token-file)" for a file's source, "" when unknown.
func from(name string) string {
	if name == "" {
		return ""
	}
	return " (from " + name + ")"
}

func (e *MissingError) Error() string {
	switch {
	case e.GitHub:
		return fmt.Sprintf("github actions id token request is not available (%s not set)", strings.Join(e.Names, ", "))
	case e.Path != "" && e.Empty:
		return fmt.Sprintf("token file %q%s is empty", e.Path, from(e.From))
	case e.Path != "":
		return fmt.Sprintf("token file %q%s does not exist", e.Path, from(e.From))
	case len(e.Names) == 1:
		return fmt.Sprintf("token variable %s is not set", e.Names[0])
	case len(e.Names) > 1:
		return fmt.Sprintf("none of the token variables %s is set", strings.Join(e.Names, ", "))
	default:
		return "no token source given"
	}
}

// RequestError means the GitHub Actions token endpoint answered with an
// HTTP error.
type RequestError struct {
	StatusCode int
	// Body is the start of the answer, on one line.
	Body string
}

func (e *RequestError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("github actions id token request failed with http status %d", e.StatusCode)
	}
	return fmt.Sprintf("github actions id token request failed with http status %d: %s", e.StatusCode, e.Body)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// roundDuration keeps messages readable: nobody needs nanoseconds to fix a
// clock or a job timeout.
func roundDuration(d time.Duration) time.Duration {
	if d < 0 {
		d = -d
	}
	if d >= time.Second {
		return d.Round(time.Second)
	}
	return d.Round(time.Millisecond)
}

func quoteList(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = fmt.Sprintf("%q", v)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}
