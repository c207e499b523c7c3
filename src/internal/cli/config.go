package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/atomicfile"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/awsconfig"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/ci"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/httpclient"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/output"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/rolesfile"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/s3check"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/version"
)

// The flags of `assume`, with their variables. Names, variables and meaning
// are a contract (issue 2): components and users' pipelines rely on them.
var assumeFlags = []flagSpec{
	{Name: "role-arn", Envs: []string{"AWS_OIDC_ROLE_ARN", "ROLE_ARN"}, Usage: "ARN of the IAM role to assume (required)", Input: "role_arn"},
	{Name: "token-env", Envs: []string{"AWS_OIDC_TOKEN_ENV"}, Usage: "name of the variable that holds the ID token (default: the first set of AWS_OIDC_TOKEN, GITLAB_OIDC_TOKEN)"},
	{Name: "token-file", Envs: []string{"AWS_OIDC_TOKEN_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE"}, Usage: "read the ID token from this file ($AWS_WEB_IDENTITY_TOKEN_FILE only outside CI jobs)"},
	{Name: "audience", Envs: []string{"AWS_OIDC_AUDIENCE"}, Usage: "GitHub: audience to request (default sts.amazonaws.com); GitLab: the token's aud must contain it", Input: "audience"},
	{Name: "session-name", Envs: []string{"AWS_OIDC_SESSION_NAME", "AWS_ROLE_SESSION_NAME"}, Usage: "role session name (default: GitLabRunner-<project>-<pipeline>-<job>)", Input: "session_name"},
	{Name: "duration", Envs: []string{"AWS_OIDC_DURATION"}, Usage: "session duration, seconds or Go duration, 15m..12h", Default: "1h", Input: "duration"},
	{Name: "region", Envs: []string{"AWS_OIDC_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"}, Usage: "AWS region: picks the regional STS endpoint and is exported", Default: "us-east-1", Input: "region"},
	{Name: "sts-endpoint", Envs: []string{"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"}, Usage: "STS endpoint URL override (VPC endpoint, FIPS, STS-compatible server)"},
	{Name: "policy", Envs: []string{"AWS_OIDC_POLICY"}, Usage: "inline session policy: JSON text or @file", Input: "policy"},
	{Name: "policy-arn", Envs: []string{"AWS_OIDC_POLICY_ARNS"}, Usage: "managed session policy ARN (repeatable, at most 10)", Multi: true, Input: "policy_arns"},
	{Name: "output", Aliases: []string{"o"}, Envs: []string{"AWS_OIDC_OUTPUT"}, Usage: "output format, repeatable: dotenv, github, shell, json, token-file, powershell (default: dotenv in GitLab CI, github in GitHub Actions, else shell; none with --profile)", Multi: true},
	{Name: "dotenv-file", Envs: []string{"AWS_OIDC_DOTENV_FILE"}, Usage: "dotenv file to write", Default: "aws.env", Input: "dotenv_file"},
	{Name: "prefix", Envs: []string{"AWS_OIDC_PREFIX"}, Usage: "prefix for every exported variable name (PROD_ gives PROD_AWS_ACCESS_KEY_ID)", Input: "variable_prefix"},
	{Name: "timeout", Envs: []string{"AWS_OIDC_TIMEOUT"}, Usage: "overall deadline; a throttling or busy STS is retried until it", Default: "2m"},
	{Name: "attempt-timeout", Envs: []string{"AWS_OIDC_ATTEMPT_TIMEOUT"}, Usage: "deadline of each STS attempt", Default: "10s"},
	{Name: "max-attempts", Envs: []string{"AWS_OIDC_MAX_ATTEMPTS"}, Usage: "cap on STS attempts that fail with a server error, a timeout or a connection failure (throttling does not count: it is retried until --timeout)", Default: "5"},
	{Name: "allow-existing-credentials", Envs: []string{"AWS_OIDC_ALLOW_EXISTING_CREDENTIALS"}, Usage: "write a GitLab dotenv report even when this job already holds AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY or AWS_SESSION_TOKEN (under the prefix), which outrank it in later jobs", Bool: true, Input: "allow_existing_credentials"},
	{Name: "dotenv-max-variables", Envs: []string{"AWS_OIDC_DOTENV_MAX_VARIABLES"}, Usage: "the instance's dotenv_variables limit (GitLab.com: 50, 100 or 150 by tier)", Default: "20"},
	{Name: "verify", Envs: []string{"AWS_OIDC_VERIFY"}, Usage: "call GetCallerIdentity with the new credentials before writing them", Bool: true, Input: "verify"},
	{Name: "allowed-account", Envs: []string{"AWS_OIDC_ALLOWED_ACCOUNTS"}, Usage: "refuse, before writing anything, credentials of any other account (repeatable)", Multi: true, Input: "allowed_accounts"},
	{Name: "check-s3", Envs: []string{"AWS_OIDC_CHECK_S3"}, Usage: "prove access to s3://bucket[/prefix] (HeadBucket, then ListObjectsV2 of one key) before writing", Input: "check_s3"},
	{Name: "s3-endpoint", Envs: []string{"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"}, Usage: "S3 endpoint URL override for --check-s3 (path-style addressing)"},
	{Name: "profile", Envs: []string{"AWS_OIDC_PROFILE"}, Usage: "write the credentials as this profile of the AWS config and credentials files"},
	{Name: "aws-config-file", Envs: []string{"AWS_OIDC_CONFIG_FILE", "AWS_CONFIG_FILE"}, Usage: "AWS config file that profiles go to", Default: defaultAWSConfigFile},
	{Name: "aws-credentials-file", Envs: []string{"AWS_OIDC_CREDENTIALS_FILE", "AWS_SHARED_CREDENTIALS_FILE"}, Usage: "AWS credentials file that profiles go to", Default: defaultAWSCredentialsFile},
	{Name: "roles", Envs: []string{"AWS_OIDC_ROLES_FILE"}, Usage: "YAML or JSON list of roles (name, role_arn, region, duration, prefix or profile) to assume concurrently with one token, all or nothing"},
	{Name: "max-parallel", Envs: []string{"AWS_OIDC_MAX_PARALLEL"}, Usage: "roles of --roles assumed at the same time", Default: "8"},
	{Name: "chain-role-arn", Envs: []string{"AWS_OIDC_CHAIN_ROLE_ARNS"}, Usage: "then AssumeRole into this role with the credentials of the one before (repeatable, in order; at most 1h)", Multi: true},
	{Name: "external-id", Envs: []string{"AWS_OIDC_EXTERNAL_ID"}, Usage: "external id sent with every chained AssumeRole"},
	{Name: "tag", Envs: []string{"AWS_OIDC_TAGS"}, Usage: "session tag KEY=VALUE for the first chained role (repeatable)", Multi: true},
	{Name: "transitive-tag-key", Envs: []string{"AWS_OIDC_TRANSITIVE_TAG_KEYS"}, Usage: "session tag key that passes on to later hops (repeatable)", Multi: true},
	{Name: "source-identity", Envs: []string{"AWS_OIDC_SOURCE_IDENTITY"}, Usage: "source identity for the first chained role, kept by AWS for the whole session and shown in CloudTrail: a literal, or claim:NAME (claim:user_login) sanitised to STS's rules; the trust policy must allow sts:SetSourceIdentity"},
	{Name: "tags-from-claims", Envs: []string{"AWS_OIDC_TAGS_FROM_CLAIMS"}, Usage: "add the token's project_path, namespace_path, ref, ref_type, ref_protected, environment, pipeline_id, job_id and user_login as session tags of the first chained role", Bool: true},
	{Name: "token-output-file", Envs: []string{"AWS_OIDC_TOKEN_OUTPUT_FILE"}, Usage: "where --output token-file writes the job's token", Default: defaultTokenOutputFile},
	{Name: "ca-bundle", Envs: []string{"AWS_CA_BUNDLE"}, Usage: "PEM file of extra CAs to trust for STS, S3 and GitHub's token endpoint (a private CA, a TLS-inspecting proxy)"},
	{Name: "debug", Envs: []string{"AWS_OIDC_DEBUG"}, Usage: "more diagnostics on stderr (never a secret)", Bool: true},
}

// Output formats.
const (
	formatDotenv = "dotenv"
	formatGitHub = "github"
	formatShell  = "shell"
	// formatPowerShell prints $env: assignments for Windows runners.
	formatPowerShell = "powershell"
	formatJSON       = "json"
	// formatTokenFile writes the token for SDKs to refresh credentials on
	// their own, inside the job.
	formatTokenFile = "token-file"
)

var formats = []string{formatDotenv, formatGitHub, formatShell, formatJSON, formatTokenFile, formatPowerShell}

// Files under the project directory that profiles and the token go to by
// default: never the user's ~/.aws, and never a path an artifact glob such
// as aws.env picks up by accident.
const (
	defaultAWSDir             = ".aws-oidc"
	defaultAWSConfigFile      = defaultAWSDir + "/config"
	defaultAWSCredentialsFile = defaultAWSDir + "/credentials"
	defaultTokenOutputFile    = defaultAWSDir + "/web-identity-token"
)

// AssumeConfig is the validated configuration of `assume`.
type AssumeConfig struct {
	Platform ci.Platform
	Role     exchange.ARN

	// Token is where the job's token comes from (token.Choose).
	Token token.Pick

	SessionName string
	// SessionNameGiven is the name before sanitising, when it was rewritten.
	SessionNameGiven string
	Duration         time.Duration
	Region           string
	Endpoint         string
	Policy           string
	PolicyARNs       []string

	Outputs            []string
	DotenvFile         string
	DotenvMaxVariables int
	Prefix             string
	// AllowExistingCredentials writes a dotenv report even when CI/CD
	// variables of the same names would outrank it (guard.go).
	AllowExistingCredentials bool

	Timeout        time.Duration
	AttemptTimeout time.Duration
	MaxAttempts    int
	Verify         bool
	Debug          bool

	// EndpointGiven is set when --sts-endpoint overrides the regional
	// endpoint, for every role of --roles.
	EndpointGiven bool

	// Profile writes the credentials to AWSFiles instead of variables.
	Profile  string
	AWSFiles awsconfig.Files
	// Roles come from --roles; empty means the one role of --role-arn.
	Roles       []rolesfile.Role
	RolesFile   string
	MaxParallel int

	// Chain are the roles assumed after the web identity session.
	Chain             []exchange.ARN
	ExternalID        string
	Tags              []exchange.Tag
	TransitiveTagKeys []string
	TagsFromClaims    bool
	SourceIdentity    exchange.SourceIdentity

	AllowedAccounts []string
	CheckS3         *s3check.Location
	S3Endpoint      string
	// HTTPClient trusts the system's CAs and --ca-bundle's, and goes
	// through the environment's proxy.
	HTTPClient *http.Client
	// UserAgent names aws-oidc and the job in every AWS request.
	UserAgent string

	// TokenOutputFile is where --output token-file puts the token.
	TokenOutputFile string
}

// maxDotenvKey is GitLab's limit on a dotenv variable's name.
const maxDotenvKey = 255

// parseAssume reads and validates every flag, before anything touches the
// network or the disk.
func parseAssume(c *cli.Context, env Env) (*AssumeConfig, error) {
	if c.NArg() > 0 {
		return nil, usageErr("unexpected argument %q: assume takes flags only", logging.URL(c.Args().First()))
	}
	l := newLookup(c, env.Getenv, assumeFlags)
	rolesFile, _ := l.String("roles")
	cfg, err := parseSession(l, env, rolesFile)
	if err != nil {
		return nil, err
	}
	if err := parseMany(l, cfg); err != nil {
		return nil, err
	}
	if err := parseOutputs(l, cfg, env); err != nil {
		return nil, err
	}
	if err := checkCombinations(cfg); err != nil {
		return nil, err
	}
	return cfg, checkAccounts(cfg)
}

// parseSession reads what every command that assumes a role shares:
// `assume` and `exec`.
func parseSession(l lookup, env Env, rolesFile string) (*AssumeConfig, error) {
	cfg := &AssumeConfig{Platform: ci.Detect(env.Getenv), RolesFile: rolesFile}
	cfg.UserAgent = ci.UserAgent(cfg.Platform, version.Get().Version, env.Getenv)
	var err error

	// With --roles the role ARNs come from the file; an $AWS_OIDC_ROLE_ARN
	// in the environment (a component's input) is then left alone.
	arn, arnFrom := l.String("role-arn")
	if cfg.RolesFile != "" && arnFrom == "--role-arn" {
		return nil, usageErr("--role-arn and --roles exclude each other: put every role in the roles file")
	}
	cfg.Region, _ = l.String("region")
	if cfg.RolesFile == "" {
		if cfg.Role, err = exchange.ParseARN(strings.TrimSpace(arn)); err != nil {
			return nil, err
		}
		if err := exchange.CheckPartition(cfg.Role, cfg.Region); err != nil {
			return nil, err
		}
	} else if _, err := exchange.PartitionOf(cfg.Region); err != nil {
		return nil, err
	}
	endpoint, from := l.String("sts-endpoint")
	if endpoint == "" {
		if cfg.Endpoint, err = exchange.STSEndpoint(cfg.Region); err != nil {
			return nil, err
		}
	} else if cfg.Endpoint, err = parseEndpoint(endpoint, from); err != nil {
		return nil, err
	} else {
		cfg.EndpointGiven = true
	}

	d, _ := l.String("duration")
	if cfg.Duration, err = exchange.ParseDuration(d); err != nil {
		return nil, err
	}

	name, from := l.String("session-name")
	if name == "" {
		name = cfg.Platform.DefaultSessionName(env.Getenv, env.Now)
	}
	if cfg.SessionName, _ = exchange.SessionName(name); cfg.SessionName != name {
		cfg.SessionNameGiven = name
		if from != "default" && strings.Trim(cfg.SessionName, "-_") == "" {
			return nil, &exchange.FieldError{Field: "session-name", Msg: fmt.Sprintf("%q has no usable character; use letters, digits and +=,.@_-", name)}
		}
	}

	policy, from := l.String("policy")
	if policy, err = readPolicy(l, policy, from); err != nil {
		return nil, err
	}
	if cfg.Policy, err = exchange.ParsePolicy(policy); err != nil {
		return nil, err
	}
	if cfg.PolicyARNs, err = exchange.ParsePolicyARNs(l.Strings("policy-arn")); err != nil {
		return nil, err
	}

	if cfg.Token, err = pickToken(l, env.Getenv, cfg.Platform, cfg.Region); err != nil {
		return nil, err
	}

	if cfg.Timeout, err = positiveDuration(l, "timeout"); err != nil {
		return nil, err
	}
	if cfg.AttemptTimeout, err = positiveDuration(l, "attempt-timeout"); err != nil {
		return nil, err
	}
	if cfg.MaxAttempts, err = boundedInt(l, "max-attempts", 1, 20); err != nil {
		return nil, err
	}
	if cfg.Verify, err = l.Bool("verify"); err != nil {
		return nil, err
	}
	if cfg.Debug, err = l.Bool("debug"); err != nil {
		return nil, err
	}
	if err := httpclient.CheckProxy(env.Getenv); err != nil {
		return nil, err
	}
	bundle, from := l.String("ca-bundle")
	readCtx, cancel := inputContext(l)
	defer cancel()
	if cfg.HTTPClient, err = httpclient.New(readCtx, env.Getenv, bundle); err != nil {
		var be *httpclient.BundleError
		if errors.As(err, &be) && be.Var != "" {
			return nil, err // names its variable; exit 2 (see ExitCode)
		}
		return nil, &exchange.FieldError{Field: "ca-bundle", Msg: fmt.Sprintf("%v (from %s)", err, from)}
	}
	if err := parseChain(l, cfg); err != nil {
		return nil, err
	}
	if err := parseChecks(l, cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

func parseOutputs(l lookup, cfg *AssumeConfig, env Env) error {
	cfg.Outputs = l.Strings("output")
	if len(cfg.Outputs) == 0 && !profilesOnly(cfg) {
		cfg.Outputs = []string{cfg.Platform.DefaultOutput()}
	}
	for _, o := range cfg.Outputs {
		if !slices.Contains(formats, o) {
			return &exchange.FieldError{Field: "output", Msg: fmt.Sprintf("unknown format %q (valid: %s)", o, strings.Join(formats, ", "))}
		}
	}
	cfg.Outputs = slices.Compact(cfg.Outputs)
	if slices.Contains(cfg.Outputs, formatGitHub) && env.Getenv("GITHUB_ENV") == "" {
		return &exchange.FieldError{Field: "output", Msg: "format \"github\" needs $GITHUB_ENV, which only GitHub Actions sets; use shell or json elsewhere"}
	}
	cfg.TokenOutputFile, _ = l.String("token-output-file")
	cfg.DotenvFile, _ = l.String("dotenv-file")
	if strings.TrimSpace(cfg.DotenvFile) == "" {
		return &exchange.FieldError{Field: "dotenv-file", Msg: "the dotenv file name is empty"}
	}
	var err error
	if cfg.DotenvMaxVariables, err = boundedInt(l, "dotenv-max-variables", 1, 1000); err != nil {
		return err
	}
	cfg.Prefix, _ = l.String("prefix")
	if cfg.Prefix != "" && !variableName().MatchString(cfg.Prefix) {
		return &exchange.FieldError{Field: "prefix", Msg: fmt.Sprintf("%q must start with a letter or _ and hold only letters, digits and _ (for example PROD_)", cfg.Prefix)}
	}
	// GitLab refuses a dotenv name over 255 characters: say so before STS.
	if slices.Contains(cfg.Outputs, formatDotenv) {
		for _, v := range output.Variables(cfg.Prefix, exchange.Credentials{}, exchange.Session{Region: cfg.Region}) {
			if len(v.Key) > maxDotenvKey {
				return &exchange.FieldError{Field: "prefix", Msg: fmt.Sprintf("the prefix is %d characters long, which makes %s...%s %d characters; GitLab accepts dotenv names of at most %d",
					len(cfg.Prefix), cfg.Prefix[:8], strings.TrimPrefix(v.Key, cfg.Prefix), len(v.Key), maxDotenvKey)}
			}
		}
	}
	cfg.AllowExistingCredentials, err = l.Bool("allow-existing-credentials")
	return err
}

// Caps on the files a user names as input; README lists them. A file that
// is larger is not the one meant, and reading it whole could take all
// memory (/dev/zero is refused earlier, as every non-regular file is).
const (
	// maxPolicyFileBytes: STS takes 2048 characters of policy; pretty
	// printed JSON may be several times longer.
	maxPolicyFileBytes = 64 << 10
	// maxTrustPolicyFileBytes: an IAM trust policy is at most 4096
	// characters; `aws iam get-role` output wraps it in more.
	maxTrustPolicyFileBytes = 1 << 20
)

// inputContext bounds the reads of input files by --timeout, read here
// already because the files are read while the flags are parsed (an
// invalid value is refused later; the default applies meanwhile).
func inputContext(l lookup) (context.Context, context.CancelFunc) {
	d, err := positiveDuration(l, "timeout")
	if err != nil {
		d = time.Minute
	}
	parent := context.Background()
	if l.c != nil && l.c.Context != nil {
		// SIGTERM and SIGINT end a read that waits, as they end the run.
		parent = l.c.Context
	}
	return context.WithTimeout(parent, d)
}

// readPolicy reads an @file policy: a regular file of at most
// maxPolicyFileBytes. Only the command line and variables can name a file;
// the text of the file is validated by exchange.ParsePolicy.
func readPolicy(l lookup, value, from string) (string, error) {
	path, ok := strings.CutPrefix(strings.TrimSpace(value), "@")
	if !ok {
		return value, nil
	}
	ctx, cancel := inputContext(l)
	defer cancel()
	b, err := atomicfile.ReadInput(ctx, path, maxPolicyFileBytes)
	if err != nil {
		return "", &exchange.FieldError{Field: "policy", Msg: fmt.Sprintf("failed to read policy file %q (from %s): %v", path, from, inputReason(err))}
	}
	return string(b), nil
}

// inputReason says why an input file was not read, without repeating its
// path (the caller's message names it).
func inputReason(err error) string {
	var refused *atomicfile.RefusedError
	if errors.As(err, &refused) {
		return refused.Detail
	}
	return err.Error()
}

func parseEndpoint(value, from string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(value))
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		return "", &exchange.FieldError{Field: "sts-endpoint", Msg: fmt.Sprintf("%q (from %s) is not an http(s) URL such as https://sts.us-east-1.amazonaws.com", logging.URL(value), from)}
	case u.User != nil || strings.Contains(value, "@"):
		// A password in a URL ends up in logs, process lists and outputs
		// (AWS_ENDPOINT_URL_STS of --output token-file); AWS endpoints take
		// none, and no "@" anywhere else either. Never print it.
		return "", &exchange.FieldError{Field: "sts-endpoint", Msg: fmt.Sprintf("%q (from %s) holds a user name or password before the host; endpoints take none: remove it (credentials for a proxy go in HTTPS_PROXY)", logging.URL(value), from)}
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

func positiveDuration(l lookup, name string) (time.Duration, error) {
	v, from := l.String(name)
	if n, err := strconv.Atoi(v); err == nil {
		v = strconv.Itoa(n) + "s"
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 || d > 24*time.Hour {
		return 0, &exchange.FieldError{Field: name, Msg: fmt.Sprintf("%q (from %s) is not a positive duration such as 60s or 2m", v, from)}
	}
	return d, nil
}

func boundedInt(l lookup, name string, lo, hi int) (int, error) {
	v, from := l.String(name)
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		return 0, &exchange.FieldError{Field: name, Msg: fmt.Sprintf("%q (from %s) must be a whole number from %d to %d", v, from, lo, hi)}
	}
	return n, nil
}

// profilesOnly reports whether every role goes to a profile, so that no
// variables need a default output.
func profilesOnly(cfg *AssumeConfig) bool {
	if len(cfg.Roles) == 0 {
		return cfg.Profile != ""
	}
	for _, r := range cfg.Roles {
		if r.Profile == "" {
			return false
		}
	}
	return true
}

// parseMany reads the flags of several roles in one job: profiles, the
// roles file and its parallelism.
func parseMany(l lookup, cfg *AssumeConfig) error {
	var err error
	cfg.Profile, _ = l.String("profile")
	if cfg.Profile != "" {
		if cfg.RolesFile != "" {
			return usageErr("--profile and --roles exclude each other: give each role its profile in the roles file")
		}
		if err := awsconfig.ValidateName(cfg.Profile); err != nil {
			return err
		}
	}
	cfg.AWSFiles.Config, _ = l.String("aws-config-file")
	cfg.AWSFiles.Credentials, _ = l.String("aws-credentials-file")
	if cfg.AWSFiles.Config == cfg.AWSFiles.Credentials {
		return &exchange.FieldError{Field: "aws-credentials-file", Msg: fmt.Sprintf("%q is also the config file; the AWS CLI reads two different files", cfg.AWSFiles.Config)}
	}
	if cfg.MaxParallel, err = boundedInt(l, "max-parallel", 1, 32); err != nil {
		return err
	}
	if cfg.RolesFile != "" {
		readCtx, cancel := inputContext(l)
		defer cancel()
		if cfg.Roles, err = rolesfile.Load(readCtx, cfg.RolesFile, rolesfile.Defaults{Region: cfg.Region, Duration: cfg.Duration}); err != nil {
			return &rolesFileError{err}
		}
	}
	return nil
}

// parseChain reads the chained hops and their tags.
func parseChain(l lookup, cfg *AssumeConfig) error {
	for _, a := range l.Strings("chain-role-arn") {
		arn, err := exchange.ParseARN(a)
		if err != nil {
			var fe *exchange.FieldError
			if errors.As(err, &fe) {
				fe.Field = "chain-role-arn"
			}
			return err
		}
		if arn.Partition != cfg.Role.Partition && cfg.RolesFile == "" {
			return &exchange.FieldError{Field: "chain-role-arn", Msg: fmt.Sprintf("%q is in partition %q but the first role is in %q; a chain stays in one partition", a, arn.Partition, cfg.Role.Partition)}
		}
		cfg.Chain = append(cfg.Chain, arn)
	}
	id, _ := l.String("external-id")
	var err error
	if cfg.ExternalID, err = exchange.ParseExternalID(id); err != nil {
		return err
	}
	for _, t := range l.Strings("tag") {
		tag, err := exchange.ParseTag(t)
		if err != nil {
			return err
		}
		cfg.Tags = append(cfg.Tags, tag)
	}
	cfg.TransitiveTagKeys = l.Strings("transitive-tag-key")
	if cfg.TagsFromClaims, err = l.Bool("tags-from-claims"); err != nil {
		return err
	}
	si, _ := l.String("source-identity")
	if cfg.SourceIdentity, err = exchange.ParseSourceIdentity(si); err != nil {
		return err
	}
	// The claims are only known once the token is read; the count and the
	// transitive keys are checked again then.
	if _, _, err := exchange.Tags(cfg.Tags, nil, nil); err != nil {
		return err
	}
	if len(cfg.Chain) == 0 {
		for _, f := range []struct {
			name string
			set  bool
		}{
			{"external-id", cfg.ExternalID != ""}, {"tag", len(cfg.Tags) > 0},
			{"transitive-tag-key", len(cfg.TransitiveTagKeys) > 0}, {"tags-from-claims", cfg.TagsFromClaims},
			{"source-identity", !cfg.SourceIdentity.IsZero()},
		} {
			if f.set {
				return usageErr("--%s needs --chain-role-arn: AssumeRoleWithWebIdentity takes no external id, tags or source identity (GitLab tokens cannot carry AWS's claims for them), a chained AssumeRole does", f.name)
			}
		}
	}
	return nil
}

var accountIDRE = regexp.MustCompile(`^[0-9]{12}$`)

// parseChecks reads what proves the credentials before they are written.
func parseChecks(l lookup, cfg *AssumeConfig) error {
	for _, a := range l.Strings("allowed-account") {
		if !accountIDRE.MatchString(a) {
			return &exchange.FieldError{Field: "allowed-account", Msg: fmt.Sprintf("%q is not a 12-digit AWS account id", a)}
		}
		cfg.AllowedAccounts = append(cfg.AllowedAccounts, a)
	}
	if u, _ := l.String("check-s3"); u != "" {
		loc, err := s3check.ParseURL(u)
		if err != nil {
			return err
		}
		cfg.CheckS3 = &loc
	}
	if ep, from := l.String("s3-endpoint"); ep != "" {
		var err error
		if cfg.S3Endpoint, err = parseEndpoint(ep, from); err != nil {
			var fe *exchange.FieldError
			if errors.As(err, &fe) {
				fe.Field = "s3-endpoint"
			}
			return err
		}
	}
	return nil
}

// checkCombinations refuses flags that cannot work together, with the
// reason.
func checkCombinations(cfg *AssumeConfig) error {
	has := func(f string) bool { return slices.Contains(cfg.Outputs, f) }
	if has(formatShell) && has(formatPowerShell) {
		return usageErr("--output shell and powershell both print to stdout for one shell to read: pick the one your job's shell is")
	}
	if has(formatTokenFile) {
		switch {
		case has(formatDotenv):
			return &exchange.FieldError{Field: "output", Msg: "format \"token-file\" cannot go with \"dotenv\": the ID token is job-scoped and its file stays on this runner, " +
				"so a later job would get variables pointing at a token it does not have. Use token-file inside one job (the .aws-oidc hidden job), or dotenv to hand credentials on"}
		case len(cfg.Roles) > 0 || cfg.Profile != "":
			return usageErr("--output token-file names one role in AWS_ROLE_ARN; it cannot go with --roles or --profile")
		case len(cfg.Chain) > 0:
			return usageErr("--output token-file lets SDKs call AssumeRoleWithWebIdentity themselves, which cannot chain roles; drop --chain-role-arn or use another output")
		}
	}
	if len(cfg.Roles) > 0 {
		switch {
		case has(formatJSON):
			return usageErr("--output json holds one role's credentials; with --roles use dotenv, shell, github or profiles")
		case len(cfg.Chain) > 0:
			return usageErr("--chain-role-arn chains from one role; it cannot go with --roles")
		case cfg.CheckS3 != nil:
			return usageErr("--check-s3 checks one role's access; it cannot go with --roles")
		case cfg.Prefix != "":
			return usageErr("--prefix names one role's variables; with --roles give each entry its own prefix (the default is its name, PROD_ for prod)")
		}
	}
	return nil
}

// checkAccounts refuses, before any network call, a role in an account the
// user did not allow. The assumed role ARN is checked again afterwards.
func checkAccounts(cfg *AssumeConfig) error {
	if len(cfg.AllowedAccounts) == 0 {
		return nil
	}
	if len(cfg.Roles) > 0 {
		for _, r := range cfg.Roles {
			if err := allowAccount(cfg.AllowedAccounts, r.ARN.AccountID, r.ARN.String()); err != nil {
				return err
			}
		}
		return nil
	}
	final := cfg.Role
	if n := len(cfg.Chain); n > 0 {
		final = cfg.Chain[n-1]
	}
	return allowAccount(cfg.AllowedAccounts, final.AccountID, final.String())
}

func allowAccount(allowed []string, account, what string) error {
	if slices.Contains(allowed, account) {
		return nil
	}
	return &AccountError{Account: account, Allowed: allowed, What: what}
}
