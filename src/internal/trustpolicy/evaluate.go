package trustpolicy

import (
	"fmt"
	"strings"
)

// operator is a condition operator taken apart: IAM's String operators with
// their IgnoreCase, Not, Like, IfExists and set (ForAnyValue/ForAllValues)
// variants. Other operators are not understood here.
type operator struct {
	known    bool
	like     bool
	negated  bool
	fold     bool
	ifExists bool
}

func parseOperator(op string) operator {
	base := op
	if _, rest, ok := strings.Cut(base, ":"); ok {
		base = rest // ForAnyValue:, ForAllValues:
	}
	o := operator{}
	base, o.ifExists = strings.CutSuffix(base, "IfExists")
	switch base {
	case "StringEquals":
	case "StringNotEquals":
		o.negated = true
	case "StringEqualsIgnoreCase":
		o.fold = true
	case "StringNotEqualsIgnoreCase":
		o.negated, o.fold = true, true
	case "StringLike":
		o.like = true
	case "StringNotLike":
		o.like, o.negated = true, true
	default:
		return operator{}
	}
	o.known = true
	return o
}

func (o operator) match(pattern, value string) bool {
	if o.fold {
		pattern, value = strings.ToLower(pattern), strings.ToLower(value)
	}
	if o.like {
		return globMatch(pattern, value)
	}
	return pattern == value
}

// splitKey splits a condition key such as gitlab.example.com:sub into its
// prefix (the issuer host, or a service such as aws) and the claim.
func splitKey(key string) (prefix, claim string) {
	i := strings.LastIndex(key, ":")
	if i < 0 {
		return "", strings.ToLower(key)
	}
	return strings.ToLower(key[:i]), strings.ToLower(key[i+1:])
}

// isGlobalKey reports whether a key prefix is one of AWS's own (aws:,
// sts:, ...) rather than an issuer host, which always has a dot.
func isGlobalKey(prefix string) bool {
	return !strings.ContainsAny(prefix, "./")
}

// providerHost returns the host of an IAM OIDC provider ARN, or "".
func providerHost(arn string) string {
	_, host, ok := strings.Cut(arn, ":oidc-provider/")
	if !ok {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(host, "/"))
}

// Verdict is the outcome of evaluating a trust policy against a token.
type Verdict struct {
	Allowed bool
	// Reasons says why: the statement that allows the token, or for each
	// statement that could have, the condition that failed.
	Reasons []string
}

// Evaluate says whether the trust policy lets a token with these claims
// assume the role, the way IAM decides it: an Allow for
// sts:AssumeRoleWithWebIdentity whose principal is the token's provider and
// whose every condition holds, and no Deny that holds. Conditions this
// package does not understand are assumed to hold, and said so.
func (p *Policy) Evaluate(f Facts) Verdict {
	host := strings.ToLower(IssuerHost(f.Issuer))
	var v Verdict
	var why []string
	for _, s := range p.Statements {
		if !s.coversAction() || !s.trusts(host) {
			continue
		}
		fails, notes := s.evaluate(host, f)
		switch {
		case strings.EqualFold(s.Effect, "Deny") && len(fails) == 0:
			return Verdict{Reasons: []string{fmt.Sprintf("%s denies this token explicitly", s.Name())}}
		case !strings.EqualFold(s.Effect, "Allow"):
		case len(fails) == 0:
			if !v.Allowed {
				v.Allowed = true
				v.Reasons = append([]string{fmt.Sprintf("%s allows this token", s.Name())}, notes...)
			}
		default:
			why = append(why, fmt.Sprintf("%s: %s", s.Name(), strings.Join(fails, "; ")))
		}
	}
	if v.Allowed {
		return v
	}
	if len(why) == 0 {
		why = []string{fmt.Sprintf("no statement allows %s for the provider %q", WebIdentityAction, host)}
	}
	return Verdict{Reasons: why}
}

// trusts reports whether the statement's principal is the provider of host.
func (s Statement) trusts(host string) bool {
	if s.AnyPrincipal {
		return true
	}
	for _, fed := range s.Federated {
		if providerHost(fed) == host {
			return true
		}
	}
	return false
}

// evaluate returns the statement's failed conditions, and notes about the
// ones it could not judge.
func (s Statement) evaluate(host string, f Facts) (fails, notes []string) {
	for _, c := range s.Conditions {
		op := parseOperator(c.Operator)
		prefix, claim := splitKey(c.Key)
		var values []string
		switch {
		case !op.known:
			notes = append(notes, fmt.Sprintf("condition %s on %q not evaluated (only String operators are)", c.Operator, c.Key))
			continue
		case isGlobalKey(prefix) && prefix != "":
			notes = append(notes, fmt.Sprintf("condition on %q not evaluated (not a token claim)", c.Key))
			continue
		case prefix == host && claim == "sub" && f.Subject != "":
			values = []string{f.Subject}
		case prefix == host && claim == "aud":
			values = f.Audience
		}
		if len(values) == 0 {
			// The key is absent from the request: IAM makes a positive
			// operator fail and a negated or IfExists one hold.
			if op.negated || op.ifExists {
				continue
			}
			fails = append(fails, absentKey(c, prefix, claim, host))
			continue
		}
		if holds(op, c.Values, values) {
			continue
		}
		fails = append(fails, mismatch(c, op, claim, values))
	}
	return fails, notes
}

func holds(op operator, patterns, values []string) bool {
	matched := false
	for _, v := range values {
		for _, p := range patterns {
			if op.match(p, v) {
				matched = true
			}
		}
	}
	return matched != op.negated
}

func absentKey(c Condition, prefix, claim, host string) string {
	if prefix != host {
		return fmt.Sprintf("%s %q never holds: AWS names this token's claims %q, not %q", c.Operator, c.Key, host+":"+claim, c.Key)
	}
	return fmt.Sprintf("%s %q never holds: AWS offers only %s:aud and %s:sub for this issuer's tokens", c.Operator, c.Key, host, host)
}

func mismatch(c Condition, op operator, claim string, values []string) string {
	msg := fmt.Sprintf("%s %q is %s but the token's %s is %s", c.Operator, c.Key, Quoted(c.Values), claim, Quoted(values))
	if op.negated {
		return fmt.Sprintf("%s %q excludes the token's %s %s", c.Operator, c.Key, claim, Quoted(values))
	}
	if !op.like {
		for _, p := range c.Values {
			for _, v := range values {
				if hasWildcard(p) && globMatch(p, v) {
					return msg + fmt.Sprintf(": %q holds a wildcard, which %s compares literally; it would match under StringLike", p, c.Operator)
				}
			}
		}
	}
	return msg
}
