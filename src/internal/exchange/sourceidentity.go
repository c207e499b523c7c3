package exchange

import (
	"fmt"
	"slices"
	"strings"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
)

// STS's rule for a source identity: 2 to 64 characters of [\w+=,.@-], not
// starting with "aws:" (which the character set already excludes).
const (
	minSourceIdentity = 2
	maxSourceIdentity = 64
	claimPrefix       = "claim:"
)

// sourceIdentityClaims are the claims --source-identity claim:NAME may
// name: those that say who started the pipeline, or what it ran for. (A
// slice, not a map: the compiler lays it out, so nothing is built at
// start-up.)
var sourceIdentityClaims = []struct {
	name  string
	value func(token.Claims) string
}{
	{"user_login", func(c token.Claims) string { return c.UserLogin }},
	{"user_id", func(c token.Claims) string { return c.UserID }},
	{"user_email", func(c token.Claims) string { return c.UserEmail }},
	{"project_path", func(c token.Claims) string { return c.ProjectPath }},
	{"namespace_path", func(c token.Claims) string { return c.NamespacePath }},
	{"pipeline_id", func(c token.Claims) string { return c.PipelineID }},
	{"job_id", func(c token.Claims) string { return c.JobID }},
	{"actor", func(c token.Claims) string { return c.Actor }},
	{"repository", func(c token.Claims) string { return c.Repository }},
	{"run_id", func(c token.Claims) string { return c.RunID }},
}

// sourceIdentityClaim reads the claim of that name; nil for a name
// claim:NAME does not accept.
func sourceIdentityClaim(name string) func(token.Claims) string {
	for _, c := range sourceIdentityClaims {
		if c.name == name {
			return c.value
		}
	}
	return nil
}

// SourceIdentityClaimNames lists what claim:NAME accepts, sorted.
func SourceIdentityClaimNames() []string {
	names := make([]string, 0, len(sourceIdentityClaims))
	for _, c := range sourceIdentityClaims {
		names = append(names, c.name)
	}
	slices.Sort(names)
	return names
}

// SourceIdentity is --source-identity: a literal, checked as given, or a
// claim of the token (claim:user_login), read once the token is known and
// sanitised to STS's rules. The zero value sets none.
type SourceIdentity struct {
	Literal string
	Claim   string
}

// IsZero reports whether no source identity was asked for.
func (s SourceIdentity) IsZero() bool { return s.Literal == "" && s.Claim == "" }

func (s SourceIdentity) String() string {
	if s.Claim != "" {
		return claimPrefix + s.Claim
	}
	return s.Literal
}

func sourceErr(format string, args ...any) error {
	return &FieldError{Field: "source-identity", Msg: fmt.Sprintf(format, args...)}
}

// ParseSourceIdentity reads --source-identity.
func ParseSourceIdentity(s string) (SourceIdentity, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return SourceIdentity{}, nil
	}
	if name, ok := strings.CutPrefix(s, claimPrefix); ok {
		name = strings.TrimSpace(name)
		if sourceIdentityClaim(name) == nil {
			return SourceIdentity{}, sourceErr("%q names no claim aws-oidc can use (valid: %s)", s, strings.Join(SourceIdentityClaimNames(), ", "))
		}
		return SourceIdentity{Claim: name}, nil
	}
	if n := len(s); n < minSourceIdentity || n > maxSourceIdentity || !allRunes(s, iamRune) {
		return SourceIdentity{}, sourceErr("%q must be 2 to 64 characters of letters, digits and _+=,.@- (or claim:NAME, such as claim:user_login)", s)
	}
	return SourceIdentity{Literal: s}, nil
}

// Resolve gives the value to send: the literal, or the claim sanitised
// (every other character becomes '_', cut to 64 characters), with whether
// it had to be rewritten.
func (s SourceIdentity) Resolve(c token.Claims) (value string, rewritten bool, err error) {
	if s.Claim == "" {
		return s.Literal, false, nil
	}
	raw := sourceIdentityClaim(s.Claim)(c)
	if raw == "" {
		return "", false, sourceErr("the token has no %s claim to take the source identity from; name another claim or give a literal", s.Claim)
	}
	clean := SanitizeSourceIdentity(raw)
	if strings.Trim(clean, "_") == "" || len(clean) < minSourceIdentity {
		return "", false, sourceErr("the token's %s claim has no character STS accepts in a source identity (letters, digits and _+=,.@-), or fewer than 2", s.Claim)
	}
	return clean, clean != raw, nil
}

// SanitizeSourceIdentity replaces every character outside [\w+=,.@-] with
// '_' and cuts the result to 64 characters.
func SanitizeSourceIdentity(v string) string {
	var b strings.Builder
	for _, r := range v {
		if b.Len() == maxSourceIdentity {
			break
		}
		if !iamRune(r) {
			r = '_'
		}
		b.WriteRune(r)
	}
	return b.String()
}
