package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/atomicfile"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/trustpolicy"
)

func trustPolicyFlags() []flagSpec {
	return append(tokenFlags("token-env", "token-file"),
		flagSpec{Name: "audience", Envs: []string{"AWS_OIDC_AUDIENCE"}, Usage: "the aud the jobs request in id_tokens: (default: the issuer URL)"},
		flagSpec{Name: "issuer", Envs: []string{"AWS_OIDC_ISSUER", "CI_SERVER_URL"}, Usage: "the GitLab instance URL, as in the token's iss"},
		flagSpec{Name: "account", Envs: []string{"AWS_OIDC_ACCOUNT"}, Usage: "12-digit AWS account id that holds the IAM OIDC provider and the role"},
		flagSpec{Name: "partition", Envs: []string{"AWS_OIDC_PARTITION"}, Usage: "AWS partition: aws, aws-cn, aws-us-gov, ...", Default: "aws"},
		flagSpec{Name: "project", Usage: "project path allowed, group/project (repeatable; each value whole, commas included)", Multi: true, Literal: true},
		flagSpec{Name: "group", Usage: "group whose projects (subgroups included) are allowed (repeatable; each value whole, commas included)", Multi: true, Literal: true},
		flagSpec{Name: "branch", Usage: "branch allowed, * and ? as wildcards (repeatable; each value whole, commas included)", Multi: true, Literal: true},
		flagSpec{Name: "tag", Usage: "tag allowed, * and ? as wildcards (repeatable; each value whole, commas included)", Multi: true, Literal: true},
		flagSpec{Name: "ref-type", Usage: "allow only branches or only tags: branch or tag"},
		flagSpec{Name: "protected-only", Usage: "only protected refs; AWS cannot see ref_protected, so name the protected refs with --branch/--tag", Bool: true},
		flagSpec{Name: "environment", Usage: "only jobs of this environment (AWS cannot see it: refused with an explanation)"},
		flagSpec{Name: "allow-any-project", Usage: "accept a policy that trusts every project on the instance", Bool: true},
		flagSpec{Name: "format", Usage: "json (the trust policy) or terraform (provider and role)", Default: "json"},
		flagSpec{Name: "role-name", Usage: "role name in the terraform output", Default: "gitlab-ci"},
		flagSpec{Name: "check", Usage: "check the existing trust policy in `FILE` instead of generating one (JSON, or the output of aws iam get-role)"},
	)
}

func trustPolicyCommand(env Env) *cli.Command {
	return &cli.Command{
		Name:  "trust-policy",
		Usage: "generate an IAM role trust policy for GitLab CI jobs, or check an existing one",
		Description: "Generates the trust policy (or Terraform for the provider and role) that lets the named projects, " +
			"groups, branches and tags assume a role: StringEquals for exact values, StringLike as soon as one holds a " +
			"wildcard. With --check FILE it reports every problem it sees in an existing policy, and with a token " +
			"available (same token flags as assume) whether this job's token satisfies it, and why not.\n\n" +
			"Exit codes: 0 fine, 1 --check found a problem, 2 invalid flags, 3 token unreadable.",
		Flags: flags(trustPolicyFlags()),
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return &InputError{Command: "trust-policy", Msg: err.Error()}
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return &InputError{Command: "trust-policy", Msg: fmt.Sprintf("unexpected argument %q: trust-policy takes flags only", logging.URL(c.Args().First()))}
			}
			l := newLookup(c, env.Getenv, trustPolicyFlags())
			if path, _ := l.String("check"); path != "" {
				return commandError("trust-policy", checkTrustPolicy(c, l, env, path))
			}
			return commandError("trust-policy", generateTrustPolicy(l, env))
		},
	}
}

func generateTrustPolicy(l lookup, env Env) error {
	format, from := l.String("format")
	if format != "json" && format != "terraform" {
		return &InputError{Field: "format", Msg: fmt.Sprintf("unknown format %q (from %s; valid: json, terraform)", format, from)}
	}
	issuer, _ := l.String("issuer")
	audience, _ := l.String("audience")
	if audience == "" {
		// GitLab's guide uses the instance URL as the audience.
		audience = issuer
	}
	spec := trustpolicy.Spec{
		Issuer:   strings.TrimSpace(issuer),
		Audience: audience,
		Projects: l.Strings("project"),
		Groups:   l.Strings("group"),
		Branches: l.Strings("branch"),
		Tags:     l.Strings("tag"),
	}
	spec.Partition, _ = l.String("partition")
	spec.Account, _ = l.String("account")
	spec.RefType, _ = l.String("ref-type")
	if !slices.Contains(exchange.PartitionNames(), spec.Partition) {
		return &InputError{Field: "partition", Msg: fmt.Sprintf("unknown partition %q (valid: %s)", spec.Partition, strings.Join(exchange.PartitionNames(), ", "))}
	}
	spec.Environment, _ = l.String("environment")
	var err error
	if spec.AllowAnyProject, err = l.Bool("allow-any-project"); err != nil {
		return err
	}
	if spec.ProtectedOnly, err = l.Bool("protected-only"); err != nil {
		return err
	}
	doc, err := trustpolicy.Generate(spec)
	var specErr *trustpolicy.SpecError
	var anyErr *trustpolicy.AnyProjectError
	switch {
	case errors.As(err, &specErr):
		return &InputError{Field: specErr.Field, Msg: specErr.Msg}
	case errors.As(err, &anyErr):
		return &InputError{Command: "trust-policy", Field: "project", Msg: anyErr.Error(),
			Fix: "name the projects (--project mygroup/myproject, repeatable) or groups (--group mygroup) whose jobs may assume the role"}
	case err != nil:
		return err
	}
	var out []byte
	if format == "terraform" {
		name, from := l.String("role-name")
		if !exchange.IsRoleName(name) {
			return &InputError{Field: "role-name", Msg: fmt.Sprintf("%q (from %s) is not an IAM role name: 1 to 64 letters, digits and +=,.@_-", name, from)}
		}
		out, err = doc.Terraform(spec, name)
	} else {
		out, err = doc.JSON()
	}
	if err != nil {
		return err
	}
	for _, note := range spec.Notes() {
		fmt.Fprintln(env.Stderr, "note: "+note)
	}
	_, err = env.Stdout.Write(out)
	return err
}

// PolicyError is a trust policy with problems, found by --check.
type PolicyError struct {
	Path     string
	Failures int
	// Refused is set when the job's token does not satisfy the policy.
	Refused bool
}

func (e *PolicyError) Error() string {
	switch {
	case e.Failures > 0 && e.Refused:
		return fmt.Sprintf("trust policy %q has %d problem(s) and refuses this job's token", e.Path, e.Failures)
	case e.Refused:
		return fmt.Sprintf("trust policy %q refuses this job's token", e.Path)
	}
	return fmt.Sprintf("trust policy %q has %d problem(s)", e.Path, e.Failures)
}

// Hint implements the hinter of Hint.
func (e *PolicyError) Hint() string {
	return "fix what is listed above; `aws-oidc trust-policy --project <group>/<project> --account <id>` prints a policy that works"
}

func readTrustPolicy(ctx context.Context, path, field string) (*trustpolicy.Policy, error) {
	b, err := atomicfile.ReadInput(ctx, path, maxTrustPolicyFileBytes)
	if err != nil {
		return nil, &InputError{Field: field, Msg: fmt.Sprintf("failed to read trust policy %q: %v", path, inputReason(err))}
	}
	p, err := trustpolicy.ParsePolicy(b)
	if err != nil {
		return nil, &InputError{Field: field, Msg: fmt.Sprintf("trust policy %q: %v", path, err)}
	}
	return p, nil
}

func checkTrustPolicy(c *cli.Context, l lookup, env Env, path string) error {
	p, err := readTrustPolicy(c.Context, path, "check")
	if err != nil {
		return err
	}
	tok, _, err := readToken(c.Context, l, env, defaultRegion)
	var missing *token.MissingError
	switch {
	case errors.As(err, &missing):
		tok = nil // checked statically only
	case err != nil:
		return err
	}
	expect := trustpolicy.Expect{}
	expect.Issuer, _ = l.String("issuer")
	if aud, _ := l.String("audience"); aud != "" {
		expect.Audience = []string{aud}
	}
	var facts *trustpolicy.Facts
	if tok != nil {
		expect.Issuer, expect.Audience, expect.GitHub = tok.Claims.Issuer, tok.Claims.Audience, tok.Claims.IsGitHub()
		facts = &trustpolicy.Facts{Issuer: tok.Claims.Issuer, Subject: tok.Claims.Subject, Audience: tok.Claims.Audience}
	}
	// The policy file and the token are someone else's: one record a line.
	r := p.WriteReport(env.diag(env.Stdout), expect, facts)
	if r.Failed() {
		return &PolicyError{Path: path, Failures: r.Failures, Refused: r.Refused}
	}
	return nil
}
