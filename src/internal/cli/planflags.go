package cli

// The planner's steps, one per group of flags, in the order their errors
// are reported.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/awsconfig"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/ci"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/httpclient"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/output"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/rolesfile"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/s3check"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/version"
)

// roleFlags reads the role and the region. With --roles the role ARNs come from
// the file; an $AWS_OIDC_ROLE_ARN in the environment (a component's input)
// is then left alone.
func (b *planner) roleFlags() error {
	p, l := b.plan, b.l
	arn, arnFrom := l.String("role-arn")
	if p.many() && arnFrom == "--role-arn" {
		return inputErr("--role-arn and --roles exclude each other: put every role in the roles file")
	}
	p.STS.Region, _ = l.String("region")
	if p.many() {
		_, err := exchange.PartitionOf(p.STS.Region)
		return err
	}
	var err error
	if b.arn, err = exchange.ParseARN(strings.TrimSpace(arn)); err != nil {
		return err
	}
	return exchange.CheckPartition(b.arn, p.STS.Region)
}

func (b *planner) sts() error {
	p := b.plan
	p.STS.UserAgent = ci.UserAgent(p.Platform, version.Get().Version, b.env.Getenv)
	endpoint, from := b.l.String("sts-endpoint")
	var err error
	if endpoint == "" {
		p.STS.Endpoint, err = exchange.STSEndpoint(p.STS.Region)
		return err
	}
	p.STS.EndpointGiven = true
	p.STS.Endpoint, err = parseEndpoint(endpoint, from)
	return err
}

// sessionFlags reads the duration, the session name and the policies.
func (b *planner) sessionFlags() error {
	p, l := b.plan, b.l
	d, _ := l.String("duration")
	var err error
	if b.duration, err = exchange.ParseDuration(d); err != nil {
		return err
	}
	name, from := l.String("session-name")
	if name == "" {
		name = p.Platform.DefaultSessionName(b.env.Getenv, b.env.Now)
	}
	if p.Session.Name, _ = exchange.SessionName(name); p.Session.Name != name {
		p.Session.NameGiven = name
		if from != "default" && strings.Trim(p.Session.Name, "-_") == "" {
			return &InputError{Field: "session-name", Msg: fmt.Sprintf("%q has no usable character; use letters, digits and +=,.@_-", name)}
		}
	}
	policy, from := l.String("policy")
	if policy, err = readPolicy(l, policy, from); err != nil {
		return err
	}
	if p.Session.Policy, err = exchange.ParsePolicy(policy); err != nil {
		return err
	}
	p.Session.PolicyARNs, err = exchange.ParsePolicyARNs(l.Strings("policy-arn"))
	return err
}

func (b *planner) tokenFlags() error {
	var err error
	b.plan.Token, err = pickToken(b.l, b.env.Getenv, b.plan.Platform, b.plan.STS.Region)
	return err
}

// tuning reads the deadlines, the attempts and the switches.
func (b *planner) tuning() error {
	p, l := b.plan, b.l
	var err error
	if p.STS.Timeout, err = positiveDuration(l, "timeout"); err != nil {
		return err
	}
	if p.STS.AttemptTimeout, err = positiveDuration(l, "attempt-timeout"); err != nil {
		return err
	}
	if p.STS.MaxAttempts, err = boundedInt(l, "max-attempts", 1, 20); err != nil {
		return err
	}
	if p.Checks.Verify, err = l.Bool("verify"); err != nil {
		return err
	}
	p.Debug, err = l.Bool("debug")
	return err
}

func (b *planner) httpClient() error {
	if err := httpclient.CheckProxy(b.env.Getenv); err != nil {
		return err
	}
	bundle, from := b.l.String("ca-bundle")
	readCtx, cancel := inputContext(b.l)
	defer cancel()
	var err error
	if b.plan.STS.HTTPClient, err = httpclient.New(readCtx, b.env.Getenv, bundle); err != nil {
		var be *httpclient.BundleError
		if errors.As(err, &be) && be.Var != "" {
			return err // names its variable; exit 2 (see ExitCode)
		}
		return &InputError{Field: "ca-bundle", Msg: fmt.Sprintf("%v (from %s)", err, from)}
	}
	return nil
}

// chain reads the chained hops and their tags.
func (b *planner) chain() error {
	p, l := b.plan, b.l
	for _, a := range l.Strings("chain-role-arn") {
		arn, err := exchange.ParseARN(a)
		if fe, ok := err.(*exchange.FieldError); ok {
			return &InputError{Field: "chain-role-arn", From: l.from("chain-role-arn"), Msg: fe.Msg}
		} else if err != nil {
			return err
		}
		if arn.Partition != b.arn.Partition && !p.many() {
			return &InputError{Field: "chain-role-arn", Msg: fmt.Sprintf("%q is in partition %q but the first role is in %q; a chain stays in one partition", a, arn.Partition, b.arn.Partition)}
		}
		p.Chain.Roles = append(p.Chain.Roles, arn)
	}
	id, _ := l.String("external-id")
	var err error
	if p.Chain.ExternalID, err = exchange.ParseExternalID(id); err != nil {
		return err
	}
	for _, t := range l.Strings("tag") {
		tag, err := exchange.ParseTag(t)
		if err != nil {
			return err
		}
		p.Chain.Tags = append(p.Chain.Tags, tag)
	}
	p.Chain.TransitiveTagKeys = l.Strings("transitive-tag-key")
	if p.Chain.TagsFromClaims, err = l.Bool("tags-from-claims"); err != nil {
		return err
	}
	si, _ := l.String("source-identity")
	if p.Chain.SourceIdentity, err = exchange.ParseSourceIdentity(si); err != nil {
		return err
	}
	// The claims are only known once the token is read; the count and the
	// transitive keys are checked again then.
	if _, _, err := exchange.Tags(p.Chain.Tags, nil, nil); err != nil {
		return err
	}
	if len(p.Chain.Roles) == 0 {
		return chainOnly(p.Chain)
	}
	return nil
}

// chainOnly refuses the settings of a chained hop without a chain.
func chainOnly(c Chain) error {
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"external-id", c.ExternalID != ""}, {"tag", len(c.Tags) > 0},
		{"transitive-tag-key", len(c.TransitiveTagKeys) > 0}, {"tags-from-claims", c.TagsFromClaims},
		{"source-identity", !c.SourceIdentity.IsZero()},
	} {
		if f.set {
			return inputErr("--%s needs --chain-role-arn: AssumeRoleWithWebIdentity takes no external id, tags or source identity (GitLab tokens cannot carry AWS's claims for them), a chained AssumeRole does", f.name)
		}
	}
	return nil
}

// checks reads what proves the credentials before they are written.
func (b *planner) checks() error {
	p, l := b.plan, b.l
	for _, a := range l.Strings("allowed-account") {
		if !exchange.IsAccountID(a) {
			return &InputError{Field: "allowed-account", Msg: fmt.Sprintf("%q is not a 12-digit AWS account id", a)}
		}
		p.Checks.AllowedAccounts = append(p.Checks.AllowedAccounts, a)
	}
	if u, _ := l.String("check-s3"); u != "" {
		loc, err := s3check.ParseURL(u)
		if err != nil {
			return err
		}
		p.Checks.S3 = &loc
	}
	if ep, from := l.String("s3-endpoint"); ep != "" {
		var err error
		if p.Checks.S3Endpoint, err = parseEndpoint(ep, from); err != nil {
			var in *InputError
			if errors.As(err, &in) {
				in.Field = "s3-endpoint"
			}
			return err
		}
	}
	return nil
}

// targets reads the flags of several roles in one job (profiles, the roles
// file and its parallelism) and makes the list of roles to assume.
func (b *planner) targets() error {
	p, l := b.plan, b.l
	b.profile, _ = l.String("profile")
	if b.profile != "" {
		if p.many() {
			return inputErr("--profile and --roles exclude each other: give each role its profile in the roles file")
		}
		if err := awsconfig.ValidateName(b.profile); err != nil {
			return err
		}
	}
	p.Outputs.AWSFiles.Config, _ = l.String("aws-config-file")
	p.Outputs.AWSFiles.Credentials, _ = l.String("aws-credentials-file")
	if p.Outputs.AWSFiles.Config == p.Outputs.AWSFiles.Credentials {
		return &InputError{Field: "aws-credentials-file", Msg: fmt.Sprintf("%q is also the config file; the AWS CLI reads two different files", p.Outputs.AWSFiles.Config)}
	}
	var err error
	if p.MaxParallel, err = boundedInt(l, "max-parallel", 1, 32); err != nil {
		return err
	}
	if !p.many() {
		// --prefix is read here for the target and checked with the
		// outputs, whose errors come later.
		b.prefix, _ = l.String("prefix")
		p.Targets = []Target{b.single()}
		return nil
	}
	readCtx, cancel := inputContext(l)
	defer cancel()
	p.Targets, err = rolesTargets(readCtx, p.RolesFile, rolesfile.Defaults{Region: p.STS.Region, Duration: b.duration}, p.STS)
	return err
}

// rolesTargets are the entries of a roles file, each with its STS
// endpoint: sts's when --sts-endpoint gave one, else its region's.
func rolesTargets(ctx context.Context, path string, d rolesfile.Defaults, sts STS) ([]Target, error) {
	roles, err := rolesfile.Load(ctx, path, d)
	if err != nil {
		return nil, &rolesFileError{err}
	}
	targets := make([]Target, len(roles))
	for i, ro := range roles {
		t := Target{Name: ro.Name, Role: ro.ARN, Region: ro.Region, Endpoint: sts.Endpoint, Duration: ro.Duration, Prefix: ro.Prefix, Profile: ro.Profile}
		if !sts.EndpointGiven {
			// The file's regions passed CheckPartition: they have one.
			if t.Endpoint, err = exchange.STSEndpoint(ro.Region); err != nil {
				return nil, &rolesFileError{err}
			}
		}
		targets[i] = t
	}
	return targets, nil
}

// outputs reads the output flags.
func (b *planner) outputs() error {
	p, l, o := b.plan, b.l, &b.plan.Outputs
	o.Formats = l.Strings("output")
	if len(o.Formats) == 0 && !profilesOnly(p.Targets) {
		o.Formats = []string{p.Platform.DefaultOutput()}
	}
	if err := checkFormats(o.Formats); err != nil {
		return err
	}
	o.Formats = slices.Compact(o.Formats)
	if p.has(formatGitHub) && b.env.Getenv("GITHUB_ENV") == "" {
		return &InputError{Field: "output", Msg: "format \"github\" needs $GITHUB_ENV, which only GitHub Actions sets; use shell or json elsewhere"}
	}
	o.TokenFile, _ = l.String("token-output-file")
	o.DotenvFile, _ = l.String("dotenv-file")
	if strings.TrimSpace(o.DotenvFile) == "" {
		return &InputError{Field: "dotenv-file", Msg: "the dotenv file name is empty"}
	}
	var err error
	if o.DotenvMaxVariables, err = boundedInt(l, "dotenv-max-variables", 1, 1000); err != nil {
		return err
	}
	if err := b.prefixFlag(); err != nil {
		return err
	}
	o.AllowExistingCredentials, err = l.Bool("allow-existing-credentials")
	return err
}

// prefixFlag reads --prefix, the one role's: GitLab refuses a dotenv name
// over 255 characters, which is said before STS.
func (b *planner) prefixFlag() error {
	p := b.plan
	b.prefix, _ = b.l.String("prefix")
	if err := checkPrefix(b.prefix); err != nil {
		return err
	}
	if !p.has(formatDotenv) {
		return nil
	}
	for _, v := range output.Variables(b.prefix, exchange.Credentials{}, exchange.Session{Region: p.STS.Region}) {
		if len(v.Key) > maxDotenvKey {
			return &InputError{Field: "prefix", Msg: fmt.Sprintf("the prefix is %d characters long, which makes %s...%s %d characters; GitLab accepts dotenv names of at most %d",
				len(b.prefix), b.prefix[:8], strings.TrimPrefix(v.Key, b.prefix), len(v.Key), maxDotenvKey)}
		}
	}
	return nil
}

func checkPrefix(prefix string) error {
	if prefix != "" && !ci.IsVariableName(prefix) {
		return &InputError{Field: "prefix", Msg: fmt.Sprintf("%q must start with a letter or _ and hold only letters, digits and _ (for example PROD_)", prefix)}
	}
	return nil
}

func checkFormats(formats []string) error {
	for _, o := range formats {
		if !slices.Contains(allFormats, o) {
			return &InputError{Field: "output", Msg: fmt.Sprintf("unknown format %q (valid: %s)", o, strings.Join(allFormats, ", "))}
		}
	}
	return nil
}
