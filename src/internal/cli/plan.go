package cli

import (
	"net/http"
	"slices"
	"time"

	"github.com/urfave/cli/v2"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/awsconfig"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/ci"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/s3check"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
)

// Plan is one run of `assume` or `exec`, built once from the flags and
// their variables and validated before anything touches the network or the
// disk: where the token comes from, the roles to assume, the chain after
// them, the checks of the credentials and the outputs they go to.
type Plan struct {
	Platform ci.Platform
	Token    token.Pick
	// Targets are the roles to assume: the one of --role-arn, or every
	// entry of the roles file (RolesFile), MaxParallel at a time.
	Targets     []Target
	RolesFile   string
	MaxParallel int
	Session     Session
	STS         STS
	Chain       Chain
	Checks      Checks
	Outputs     Outputs
	Debug       bool
	// origins are where each setting got its value ("--x", "$VAR", "the
	// X input", "default"), for the errors found while the plan runs.
	origins map[string]string
}

// Target is one role to assume and where its credentials go.
type Target struct {
	// Name labels an entry of --roles in result lines; "" for --role-arn.
	Name     string
	Role     exchange.ARN
	Region   string
	Endpoint string
	Duration time.Duration
	Prefix   string
	Profile  string
}

// Session is what every role's session is asked with.
type Session struct {
	Name string
	// NameGiven is the name before sanitising, when it was rewritten.
	NameGiven  string
	Policy     string
	PolicyARNs []string
}

// STS is how STS is reached, for every call of the run.
type STS struct {
	// Region and Endpoint are --region's and its STS endpoint (or
	// --sts-endpoint): the role's, or the roles file's default.
	Region, Endpoint string
	// EndpointGiven is set when --sts-endpoint overrides the regional
	// endpoint, for every target.
	EndpointGiven  bool
	Timeout        time.Duration
	AttemptTimeout time.Duration
	MaxAttempts    int
	// HTTPClient trusts the system's CAs and --ca-bundle's, and goes
	// through the environment's proxy.
	HTTPClient *http.Client
	// UserAgent names aws-oidc and the job in every AWS request.
	UserAgent string
}

// Chain are the roles assumed after the web identity session, and what the
// first of them is asked with.
type Chain struct {
	Roles             []exchange.ARN
	ExternalID        string
	Tags              []exchange.Tag
	TransitiveTagKeys []string
	TagsFromClaims    bool
	SourceIdentity    exchange.SourceIdentity
}

// Checks prove the credentials before anything is written.
type Checks struct {
	Verify          bool
	AllowedAccounts []string
	S3              *s3check.Location
	S3Endpoint      string
}

// Outputs are where the credentials go besides each target's profile.
type Outputs struct {
	Formats            []string
	DotenvFile         string
	DotenvMaxVariables int
	// TokenFile is where --output token-file puts the token.
	TokenFile string
	AWSFiles  awsconfig.Files
	// AllowExistingCredentials writes a dotenv report even when CI/CD
	// variables of the same names would outrank it (guard.go).
	AllowExistingCredentials bool
}

// from is where the setting field got its value, "" when it was not read.
func (p *Plan) from(field string) string { return p.origins[field] }

// many reports whether the targets come from a roles file.
func (p *Plan) many() bool { return p.RolesFile != "" }

// has reports whether --output asks for format.
func (p *Plan) has(format string) bool { return slices.Contains(p.Outputs.Formats, format) }

// withVars reports whether t hands its credentials on as variables: every
// target without a profile, and the one role of --role-arn with both a
// --profile and an --output.
func (p *Plan) withVars(t Target) bool {
	return t.Profile == "" || (!p.many() && len(p.Outputs.Formats) > 0)
}

// profilesOnly reports whether every target goes to a profile, so that no
// variables need a default output.
func profilesOnly(targets []Target) bool {
	return !slices.ContainsFunc(targets, func(t Target) bool { return t.Profile == "" })
}

// final is the role whose credentials t ends with: the last of the chain.
func (p *Plan) final(t Target) exchange.ARN {
	if n := len(p.Chain.Roles); n > 0 {
		return p.Chain.Roles[n-1]
	}
	return t.Role
}

// maxDotenvKey is GitLab's limit on a dotenv variable's name.
const maxDotenvKey = 255

// planner builds a Plan step by step, in the order errors are reported.
type planner struct {
	l    lookup
	env  Env
	plan *Plan
	// The flags of the one role of --role-arn, for its target.
	arn      exchange.ARN
	duration time.Duration
	prefix   string
	profile  string
}

// assumePlan reads and validates every flag of `assume`.
func assumePlan(c *cli.Context, env Env) (*Plan, error) {
	if c.NArg() > 0 {
		return nil, inputErr("unexpected argument %q: assume takes flags only", logging.URL(c.Args().First()))
	}
	l := newLookup(c, env.Getenv, assumeFlags)
	rolesFile, _ := l.String("roles")
	b := &planner{l: l, env: env, plan: &Plan{Platform: ci.Detect(env.Getenv), RolesFile: rolesFile, origins: l.origins}}
	for _, step := range []func() error{b.session, b.targets, b.outputs, b.combinations, b.accounts} {
		if err := step(); err != nil {
			return nil, asInput(err, l.from)
		}
	}
	return b.plan, nil
}

// execPlan reads and validates the flags of `exec`: assume's without the
// outputs, for the one role of --role-arn.
func execPlan(l lookup, env Env) (*Plan, error) {
	b := &planner{l: l, env: env, plan: &Plan{Platform: ci.Detect(env.Getenv), origins: l.origins}}
	if err := b.session(); err != nil {
		return nil, asInput(err, l.from)
	}
	b.plan.Targets = []Target{b.single()}
	if err := b.accounts(); err != nil {
		return nil, err
	}
	return b.plan, nil
}

func (b *planner) single() Target {
	p := b.plan
	return Target{Role: b.arn, Region: p.STS.Region, Endpoint: p.STS.Endpoint, Duration: b.duration, Prefix: b.prefix, Profile: b.profile}
}

// session reads what every command that assumes a role shares: `assume`
// and `exec`.
func (b *planner) session() error {
	for _, step := range []func() error{b.roleFlags, b.sts, b.sessionFlags, b.tokenFlags, b.tuning, b.httpClient, b.chain, b.checks} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// combinations refuses flags that cannot work together, with the reason.
func (b *planner) combinations() error {
	p := b.plan
	if p.has(formatShell) && p.has(formatPowerShell) {
		return inputErr("--output shell and powershell both print to stdout for one shell to read: pick the one your job's shell is")
	}
	if p.has(formatTokenFile) {
		switch {
		case p.has(formatDotenv):
			return &InputError{Field: "output", Msg: "format \"token-file\" cannot go with \"dotenv\": the ID token is job-scoped and its file stays on this runner, " +
				"so a later job would get variables pointing at a token it does not have. Use token-file inside one job (the .aws-oidc hidden job), or dotenv to hand credentials on"}
		case p.many() || b.profile != "":
			return inputErr("--output token-file names one role in AWS_ROLE_ARN; it cannot go with --roles or --profile")
		case len(p.Chain.Roles) > 0:
			return inputErr("--output token-file lets SDKs call AssumeRoleWithWebIdentity themselves, which cannot chain roles; drop --chain-role-arn or use another output")
		}
	}
	if !p.many() {
		return nil
	}
	switch {
	case p.has(formatJSON):
		return inputErr("--output json holds one role's credentials; with --roles use dotenv, shell, github or profiles")
	case len(p.Chain.Roles) > 0:
		return inputErr("--chain-role-arn chains from one role; it cannot go with --roles")
	case p.Checks.S3 != nil:
		return inputErr("--check-s3 checks one role's access; it cannot go with --roles")
	case b.prefix != "":
		return inputErr("--prefix names one role's variables; with --roles give each entry its own prefix (the default is its name, PROD_ for prod)")
	}
	return nil
}

// accounts refuses, before any network call, a role in an account the
// user did not allow. The assumed role ARN is checked again afterwards.
func (b *planner) accounts() error {
	p := b.plan
	if len(p.Checks.AllowedAccounts) == 0 {
		return nil
	}
	for _, t := range p.Targets {
		final := p.final(t)
		if err := allowAccount(p.Checks.AllowedAccounts, final.AccountID, final.String()); err != nil {
			return err
		}
	}
	return nil
}

func allowAccount(allowed []string, account, what string) error {
	if slices.Contains(allowed, account) {
		return nil
	}
	return &AccountError{Account: account, Allowed: allowed, What: what}
}
