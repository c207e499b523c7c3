package cli

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/ci"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/role"
)

// The flags of `assume`, with their variables. Names, variables and meaning
// are a contract (issue 2): components and users' pipelines rely on them.
var assumeFlags = []flagSpec{
	{Name: "role-arn", Envs: []string{"AWS_OIDC_ROLE_ARN", "ROLE_ARN"}, Usage: "ARN of the IAM role to assume (required)"},
	{Name: "token-env", Envs: []string{"AWS_OIDC_TOKEN_ENV"}, Usage: "name of the variable that holds the ID token (default: the first set of AWS_OIDC_TOKEN, GITLAB_OIDC_TOKEN)"},
	{Name: "token-file", Envs: []string{"AWS_WEB_IDENTITY_TOKEN_FILE"}, Usage: "read the ID token from this file"},
	{Name: "audience", Envs: []string{"AWS_OIDC_AUDIENCE"}, Usage: "GitHub: audience to request (default sts.amazonaws.com); GitLab: the token's aud must contain it"},
	{Name: "session-name", Envs: []string{"AWS_OIDC_SESSION_NAME", "AWS_ROLE_SESSION_NAME"}, Usage: "role session name (default: GitLabRunner-<project>-<pipeline>-<job>)"},
	{Name: "duration", Envs: []string{"AWS_OIDC_DURATION"}, Usage: "session duration, seconds or Go duration, 15m..12h", Default: "1h"},
	{Name: "region", Envs: []string{"AWS_REGION", "AWS_DEFAULT_REGION"}, Usage: "AWS region: picks the regional STS endpoint and is exported", Default: "us-east-1"},
	{Name: "sts-endpoint", Envs: []string{"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"}, Usage: "STS endpoint URL override (VPC endpoint, FIPS, STS-compatible server)"},
	{Name: "policy", Envs: []string{"AWS_OIDC_POLICY"}, Usage: "inline session policy: JSON text or @file"},
	{Name: "policy-arn", Envs: []string{"AWS_OIDC_POLICY_ARNS"}, Usage: "managed session policy ARN (repeatable, at most 10)", Multi: true},
	{Name: "output", Aliases: []string{"o"}, Envs: []string{"AWS_OIDC_OUTPUT"}, Usage: "output format, repeatable: dotenv, github, shell, json (default: dotenv in GitLab CI, github in GitHub Actions, else shell)", Multi: true},
	{Name: "dotenv-file", Envs: []string{"AWS_OIDC_DOTENV_FILE"}, Usage: "dotenv file to write", Default: "aws.env"},
	{Name: "prefix", Envs: []string{"AWS_OIDC_PREFIX"}, Usage: "prefix for every exported variable name (PROD_ gives PROD_AWS_ACCESS_KEY_ID)"},
	{Name: "timeout", Envs: []string{"AWS_OIDC_TIMEOUT"}, Usage: "overall deadline", Default: "60s"},
	{Name: "attempt-timeout", Envs: []string{"AWS_OIDC_ATTEMPT_TIMEOUT"}, Usage: "deadline of each STS attempt", Default: "10s"},
	{Name: "max-attempts", Envs: []string{"AWS_OIDC_MAX_ATTEMPTS"}, Usage: "STS attempts in all, for transient failures", Default: "5"},
	{Name: "dotenv-max-variables", Envs: []string{"AWS_OIDC_DOTENV_MAX_VARIABLES"}, Usage: "the instance's dotenv_variables limit (GitLab.com: 50, 100 or 150 by tier)", Default: "20"},
	{Name: "verify", Envs: []string{"AWS_OIDC_VERIFY"}, Usage: "call GetCallerIdentity with the new credentials before writing them", Bool: true},
	{Name: "debug", Envs: []string{"AWS_OIDC_DEBUG"}, Usage: "more diagnostics on stderr (never a secret)", Bool: true},
}

// Output formats.
const (
	formatDotenv = "dotenv"
	formatGitHub = "github"
	formatShell  = "shell"
	formatJSON   = "json"
)

var formats = []string{formatDotenv, formatGitHub, formatShell, formatJSON}

// defaultTokenEnvs are tried in order when no --token-env is given.
var defaultTokenEnvs = []string{"AWS_OIDC_TOKEN", "GITLAB_OIDC_TOKEN"}

// AssumeConfig is the validated configuration of `assume`.
type AssumeConfig struct {
	Platform ci.Platform
	Role     role.ARN

	// TokenEnvs are the variables to read the token from, in order;
	// TokenFile wins when set; GitHubToken requests one from GitHub.
	TokenEnvs   []string
	TokenFile   string
	GitHubToken bool
	Audience    string

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

	Timeout        time.Duration
	AttemptTimeout time.Duration
	MaxAttempts    int
	Verify         bool
	Debug          bool
}

var prefixRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// parseAssume reads and validates every flag, before anything touches the
// network or the disk.
func parseAssume(c *cli.Context, env Env) (*AssumeConfig, error) {
	l := newLookup(c, env.Getenv, assumeFlags)
	if c.NArg() > 0 {
		return nil, usageErr("unexpected argument %q: assume takes flags only", c.Args().First())
	}
	cfg := &AssumeConfig{Platform: ci.Detect(env.Getenv)}
	var err error

	arn, _ := l.String("role-arn")
	if cfg.Role, err = role.ParseARN(strings.TrimSpace(arn)); err != nil {
		return nil, err
	}

	cfg.Region, _ = l.String("region")
	if err := role.CheckPartition(cfg.Role, cfg.Region); err != nil {
		return nil, err
	}
	endpoint, from := l.String("sts-endpoint")
	if endpoint == "" {
		if cfg.Endpoint, err = role.STSEndpoint(cfg.Region); err != nil {
			return nil, err
		}
	} else if cfg.Endpoint, err = parseEndpoint(endpoint, from); err != nil {
		return nil, err
	}

	d, _ := l.String("duration")
	if cfg.Duration, err = role.ParseDuration(d); err != nil {
		return nil, err
	}

	name, from := l.String("session-name")
	if name == "" {
		name = cfg.Platform.DefaultSessionName(env.Getenv, env.Now)
	}
	if cfg.SessionName, _ = role.SessionName(name); cfg.SessionName != name {
		cfg.SessionNameGiven = name
		if from != "default" && strings.Trim(cfg.SessionName, "-_") == "" {
			return nil, &role.FieldError{Field: "session-name", Msg: fmt.Sprintf("%q has no usable character; use letters, digits and +=,.@_-", name)}
		}
	}

	policy, from := l.String("policy")
	if policy, err = readPolicy(policy, from); err != nil {
		return nil, err
	}
	if cfg.Policy, err = role.ParsePolicy(policy); err != nil {
		return nil, err
	}
	if cfg.PolicyARNs, err = role.ParsePolicyARNs(l.Strings("policy-arn")); err != nil {
		return nil, err
	}

	if err := parseToken(l, cfg, env); err != nil {
		return nil, err
	}
	if err := parseOutputs(l, cfg, env); err != nil {
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
	return cfg, nil
}

func parseToken(l lookup, cfg *AssumeConfig, env Env) error {
	cfg.Audience, _ = l.String("audience")
	tokenEnv, _ := l.String("token-env")
	tokenFile, fileFrom := l.String("token-file")
	switch {
	case fileFrom == "--token-file":
		cfg.TokenFile = tokenFile
	case tokenEnv != "":
		if !prefixRE.MatchString(tokenEnv) {
			return &role.FieldError{Field: "token-env", Msg: fmt.Sprintf("%q is not a variable name", tokenEnv)}
		}
		cfg.TokenEnvs = []string{tokenEnv}
	case anySet(env.Getenv, defaultTokenEnvs):
		// A job token in a variable beats an AWS_WEB_IDENTITY_TOKEN_FILE
		// from the environment: on Kubernetes runners with IRSA that
		// variable points at the pod's own token, not the job's.
		cfg.TokenEnvs = defaultTokenEnvs
	case tokenFile != "":
		cfg.TokenFile = tokenFile
	case cfg.Platform == ci.GitHub:
		cfg.GitHubToken = true
		if cfg.Audience == "" {
			cfg.Audience = role.Audience(cfg.Region)
		}
	default:
		cfg.TokenEnvs = defaultTokenEnvs
	}
	return nil
}

func anySet(getenv func(string) string, names []string) bool {
	return slices.ContainsFunc(names, func(n string) bool { return getenv(n) != "" })
}

func parseOutputs(l lookup, cfg *AssumeConfig, env Env) error {
	cfg.Outputs = l.Strings("output")
	if len(cfg.Outputs) == 0 {
		cfg.Outputs = []string{cfg.Platform.DefaultOutput()}
	}
	for _, o := range cfg.Outputs {
		if !slices.Contains(formats, o) {
			return &role.FieldError{Field: "output", Msg: fmt.Sprintf("unknown format %q (valid: %s)", o, strings.Join(formats, ", "))}
		}
	}
	cfg.Outputs = slices.Compact(cfg.Outputs)
	if slices.Contains(cfg.Outputs, formatGitHub) && env.Getenv("GITHUB_ENV") == "" {
		return &role.FieldError{Field: "output", Msg: "format \"github\" needs $GITHUB_ENV, which only GitHub Actions sets; use shell or json elsewhere"}
	}
	cfg.DotenvFile, _ = l.String("dotenv-file")
	if strings.TrimSpace(cfg.DotenvFile) == "" {
		return &role.FieldError{Field: "dotenv-file", Msg: "the dotenv file name is empty"}
	}
	var err error
	if cfg.DotenvMaxVariables, err = boundedInt(l, "dotenv-max-variables", 1, 1000); err != nil {
		return err
	}
	cfg.Prefix, _ = l.String("prefix")
	if cfg.Prefix != "" && !prefixRE.MatchString(cfg.Prefix) {
		return &role.FieldError{Field: "prefix", Msg: fmt.Sprintf("%q must start with a letter or _ and hold only letters, digits and _ (for example PROD_)", cfg.Prefix)}
	}
	return nil
}

// readPolicy reads an @file policy. Only the command line and variables can
// name a file; the text of the file is validated by role.ParsePolicy.
func readPolicy(value, from string) (string, error) {
	path, ok := strings.CutPrefix(strings.TrimSpace(value), "@")
	if !ok {
		return value, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", &role.FieldError{Field: "policy", Msg: fmt.Sprintf("failed to read policy file %q (from %s): %v", path, from, err)}
	}
	return string(b), nil
}

func parseEndpoint(value, from string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(value))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", &role.FieldError{Field: "sts-endpoint", Msg: fmt.Sprintf("%q (from %s) is not an http(s) URL such as https://sts.us-east-1.amazonaws.com", value, from)}
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
		return 0, &role.FieldError{Field: name, Msg: fmt.Sprintf("%q (from %s) is not a positive duration such as 60s or 2m", v, from)}
	}
	return d, nil
}

func boundedInt(l lookup, name string, lo, hi int) (int, error) {
	v, from := l.String(name)
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		return 0, &role.FieldError{Field: name, Msg: fmt.Sprintf("%q (from %s) must be a whole number from %d to %d", v, from, lo, hi)}
	}
	return n, nil
}
