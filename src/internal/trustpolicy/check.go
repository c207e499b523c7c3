package trustpolicy

import (
	"fmt"
	"slices"
	"strings"
)

// Level says how bad a finding is.
type Level int

const (
	// OK is a check that passed.
	OK Level = iota
	// Warn is something that works today but is risky or unusual.
	Warn
	// Fail is something that makes STS refuse, or trusts too much.
	Fail
)

func (l Level) String() string {
	switch l {
	case OK:
		return "ok"
	case Warn:
		return "warn"
	}
	return "fail"
}

// Finding is one problem seen in a trust policy.
type Finding struct {
	Level Level
	// ID names the problem for tests and tools, for example
	// "wildcard-under-stringequals".
	ID      string
	Problem string
	Fix     string
}

// Expect is what a trust policy is checked against; empty fields are
// unknown and their checks skipped.
type Expect struct {
	// Issuer is the token's iss (or the instance URL).
	Issuer string
	// Audience is the token's aud.
	Audience []string
	// GitHub is set for GitHub Actions tokens, whose sub has another shape
	// (repo:<owner>/<repo>:...); the GitLab sub checks are skipped.
	GitHub bool
}

// Check reports every problem it can see in the trust policy without
// calling AWS: no statement for web identity, a provider or condition key
// for another host, a wildcard under StringEquals, a missing or impossible
// sub condition, an audience that is not the token's.
func (p *Policy) Check(e Expect) []Finding {
	var out []Finding
	want := strings.ToLower(IssuerHost(e.Issuer))
	e.GitHub = e.GitHub || want == strings.TrimPrefix(githubIssuer, "https://")
	found := false
	for _, s := range p.Statements {
		if !s.AllowsWebIdentity() {
			continue
		}
		found = true
		out = append(out, s.check(want, e)...)
	}
	if !found {
		out = append(out, Finding{Level: Fail, ID: "no-web-identity",
			Problem: fmt.Sprintf("no statement allows %s", WebIdentityAction),
			Fix:     fmt.Sprintf(`add a statement with "Effect": "Allow", "Action": %q and "Principal": {"Federated": "<the IAM OIDC provider ARN>"}`, WebIdentityAction)})
	}
	return out
}

func (s Statement) check(want string, e Expect) []Finding {
	c := &statementCheck{s: s, e: e}
	want = c.principal(want)
	hasSub, hasAud := false, false
	for _, cond := range s.Conditions {
		sub, aud := c.condition(cond, want)
		hasSub, hasAud = hasSub || sub, hasAud || aud
	}
	if !hasSub {
		c.add(Fail, "no-sub", fmt.Sprintf("no condition on %q: every project on the instance can assume the role", orHost(want)+":sub"),
			fmt.Sprintf(`add "StringEquals": {%q: %q} (or StringLike with a pattern)`, orHost(want)+":sub", Subject("<group>/<project>", "branch", "main")))
	}
	if !hasAud {
		c.add(Warn, "no-aud", fmt.Sprintf("no condition on %q", orHost(want)+":aud"),
			fmt.Sprintf(`add "StringEquals": {%q: %q}, as GitLab's guide does`, orHost(want)+":aud", "https://"+orHost(want)))
	}
	return c.out
}

// statementCheck collects the findings of one statement, in order.
type statementCheck struct {
	s   Statement
	e   Expect
	out []Finding
}

func (c *statementCheck) add(l Level, id, problem, fix string) {
	c.out = append(c.out, Finding{Level: l, ID: id, Problem: c.s.Name() + ": " + problem, Fix: fix})
}

// principal checks that the statement trusts the token's issuer's IAM OIDC
// provider, and returns the host its condition keys must use: want, or the
// provider's when the issuer is unknown.
func (c *statementCheck) principal(want string) string {
	var hosts []string
	for _, fed := range c.s.Federated {
		if h := providerHost(fed); h != "" {
			hosts = append(hosts, h)
		}
	}
	switch {
	case c.s.AnyPrincipal:
		c.add(Fail, "any-principal", `"Principal": "*" lets any identity provider's tokens in`,
			`name the IAM OIDC provider: "Principal": {"Federated": "arn:aws:iam::<account>:oidc-provider/`+orHost(want)+`"}`)
	case len(hosts) == 0:
		c.add(Fail, "no-provider", "the principal is not an IAM OIDC provider (Principal.Federated with :oidc-provider/)",
			`set "Principal": {"Federated": "arn:aws:iam::<account>:oidc-provider/`+orHost(want)+`"}`)
	case want != "" && !slices.Contains(hosts, want):
		c.add(Fail, "provider-host", fmt.Sprintf("the principal trusts the provider for %s, but the token's issuer is %q", Quoted(hosts), c.e.Issuer),
			fmt.Sprintf("trust the provider arn:aws:iam::<account>:oidc-provider/%s, created with URL %q", want, "https://"+want))
	}
	if want == "" && len(hosts) > 0 {
		want = hosts[0]
	}
	return want
}

// condition checks one condition against the host its keys must use, and
// reports whether it restricts sub or aud.
func (c *statementCheck) condition(cond Condition, want string) (sub, aud bool) {
	op := parseOperator(cond.Operator)
	prefix, claim := splitKey(cond.Key)
	switch {
	case isGlobalKey(prefix):
		return false, false
	case want != "" && prefix != want:
		c.add(Fail, "condition-host", fmt.Sprintf("condition key %q is for host %q, but the issuer is %q: AWS never sets it, so the condition never holds", cond.Key, prefix, want),
			fmt.Sprintf("use %q", want+":"+claim))
		return false, false
	case claim != "sub" && claim != "aud":
		c.add(Fail, "unsupported-key", fmt.Sprintf("condition key %q: AWS offers only the aud and sub claims of GitLab tokens as condition keys", cond.Key),
			fmt.Sprintf("express the restriction in %q (project and ref), or use role chaining with session tags", want+":sub"))
		return false, false
	case !op.known:
		return false, false
	}
	if !op.like {
		for _, v := range cond.Values {
			if hasWildcard(v) {
				c.add(Fail, "wildcard-under-stringequals", fmt.Sprintf("%s %q holds the wildcard value %q, which %s compares literally, so it matches no token", cond.Operator, cond.Key, v, cond.Operator),
					fmt.Sprintf("use StringLike for %q (every value of a key under one operator: keep the exact ones there too)", cond.Key))
			}
		}
	}
	if op.negated {
		return false, false
	}
	if claim == "sub" {
		c.subjects(cond, op)
		return true, false
	}
	if len(c.e.Audience) > 0 && !holds(op, cond.Values, c.e.Audience) {
		c.add(Fail, "audience", fmt.Sprintf("%s %q is %s but the token's aud is %s", cond.Operator, cond.Key, Quoted(cond.Values), Quoted(c.e.Audience)),
			"make the condition and the IAM OIDC provider's audiences list the token's aud, or change `id_tokens: ... aud:` to match them")
	}
	return false, true
}

// subjects checks the values of a sub condition that is not negated: each
// must be able to match a GitLab sub, and none may admit every project.
func (c *statementCheck) subjects(cond Condition, op operator) {
	if c.e.GitHub {
		return
	}
	for _, v := range cond.Values {
		switch {
		case !SubjectCanMatch(v, op.like || hasWildcard(v)):
			c.add(Fail, "sub-impossible", fmt.Sprintf("%s %q value %q cannot match any GitLab sub, which looks like %q", cond.Operator, cond.Key, v, Subject("group/project", "branch", "main")),
				subFix(v))
		case op.like && SubjectAdmitsAnyProject(v, true):
			c.add(Fail, "sub-any-project", fmt.Sprintf("%s %q value %q matches every project on the instance", cond.Operator, cond.Key, v),
				"name the project or group: project_path:<group>/<project>:* or project_path:<group>/*")
		}
	}
}

// githubIssuer is GitHub Actions' issuer on github.com.
const githubIssuer = "https://token.actions.githubusercontent.com"

func orHost(h string) string {
	if h == "" {
		return "gitlab.example.com"
	}
	return h
}

// subFix guesses the mistake behind an impossible sub value.
func subFix(v string) string {
	switch {
	case strings.HasPrefix(v, "repo:"):
		return "this is a GitHub Actions sub; GitLab's is " + Subject("<group>/<project>", "branch", "<branch>")
	case strings.Contains(v, "refs/heads/") || strings.Contains(v, "refs/tags/"):
		return "GitLab's sub names the ref without refs/heads/ or refs/tags/: " + Subject("<group>/<project>", "branch", "main")
	case !strings.HasPrefix(v, "project_path:") && !strings.HasPrefix(v, "*"):
		return "a GitLab sub starts with project_path:, for example " + Subject("<group>/<project>", "branch", "main")
	}
	return "GitLab's sub is " + Subject("<group>/<project>", "<branch|tag>", "<ref>") +
		" (or fewer components if the project changed ci_id_token_sub_claim_components); use StringLike with * for several"
}
