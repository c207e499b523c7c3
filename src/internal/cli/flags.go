package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/ci"
)

// A flag's environment variables are read through Env.Getenv, not by
// urfave/cli (which reads the process environment directly): tests inject
// the environment, and a variable set to the empty string counts as unset.
// GitLab sets a job variable whose component input is empty to "", and that
// must not hide the next variable in the list or the default.

// flagSpec describes one flag for the help text and the lookup.
type flagSpec struct {
	Name    string
	Aliases []string
	Envs    []string
	Usage   string
	Default string
	// Multi makes the flag repeatable; its values and variables are comma
	// separated lists, unless Literal.
	Multi bool
	// Literal takes each value of a Multi flag whole, commas included (Git
	// allows a comma in a branch or tag name).
	Literal bool
	// Bool makes it a switch.
	Bool bool
	// Input is the assume-role component input that sets the flag through
	// its variable, ci.InputEnv(Input).
	Input string
}

func (s flagSpec) flag() cli.Flag {
	usage := s.Usage
	if len(s.Envs) > 0 {
		usage += " [$" + strings.Join(s.Envs, ", $") + "]"
	}
	switch {
	case s.Bool:
		return &cli.BoolFlag{Name: s.Name, Aliases: s.Aliases, Usage: usage}
	case s.Multi:
		return &cli.StringSliceFlag{Name: s.Name, Aliases: s.Aliases, Usage: usage}
	default:
		return &cli.StringFlag{Name: s.Name, Aliases: s.Aliases, Usage: usage, DefaultText: s.Default}
	}
}

func flags(specs []flagSpec) []cli.Flag {
	out := make([]cli.Flag, len(specs))
	for i, s := range specs {
		out[i] = s.flag()
	}
	return out
}

// lookup reads flags: the command line wins, then the first variable that is
// set and not empty, then the default.
type lookup struct {
	c      *cli.Context
	getenv func(string) string
	specs  map[string]flagSpec
	// component is set when the tool runs as the assume-role component.
	component bool
	// origins are where each flag read so far got its value, for errors
	// that name the setting (see from).
	origins map[string]string
}

func newLookup(c *cli.Context, getenv func(string) string, specs []flagSpec) lookup {
	m := make(map[string]flagSpec, len(specs))
	for _, s := range specs {
		m[s.Name] = s
	}
	if ci.InComponent(getenv) {
		return lookup{c: c, getenv: ci.InputGetenv(getenv), specs: m, component: true, origins: map[string]string{}}
	}
	return lookup{c: c, getenv: getenv, specs: m, origins: map[string]string{}}
}

// from is where the flag name got its value when it was read ("--name",
// "$VAR", "the NAME input" or "default"); "" before it is read.
func (l lookup) from(name string) string { return l.origins[name] }

// envs are the variables a flag reads, in order. Inside the component a flag
// that an input sets reads only the variable the template passes the input
// in (ci.InputEnv): an empty input then means the default, never a CI/CD
// variable further down the list (which GitLab would let outrank the
// input, REFERENCE.md §6).
func (l lookup) envs(s flagSpec) []string {
	if l.component && s.Input != "" {
		return []string{ci.InputEnv(s.Input)}
	}
	return s.Envs
}

// source names where a value came from: the input inside the component,
// else the variable.
func (l lookup) source(s flagSpec, env string) string {
	if l.component && s.Input != "" {
		return ci.InputName(s.Input)
	}
	return "$" + env
}

func (l lookup) spec(name string) flagSpec {
	s, ok := l.specs[name]
	if !ok {
		panic(fmt.Sprintf("cli: flag %q is not declared", name)) // a programming error, caught by every test
	}
	return s
}

// String returns the flag's value and where it came from ("--name", "$VAR",
// "the NAME input" or "default"), so errors can point at the right place.
func (l lookup) String(name string) (value, from string) {
	value, from = l.string(name)
	l.origins[name] = from
	return value, from
}

func (l lookup) string(name string) (value, from string) {
	s := l.spec(name)
	if l.c.IsSet(name) {
		return l.c.String(name), "--" + name
	}
	for _, e := range l.envs(s) {
		if v := l.getenv(e); v != "" {
			return v, l.source(s, e)
		}
	}
	return s.Default, "default"
}

// Strings returns a repeatable flag's values; variables hold comma
// separated lists.
func (l lookup) Strings(name string) []string {
	s := l.spec(name)
	if l.c.IsSet(name) {
		l.origins[name] = "--" + name
		if s.Literal {
			return slices.DeleteFunc(slices.Clone(l.c.StringSlice(name)), func(v string) bool { return strings.TrimSpace(v) == "" })
		}
		return splitAll(l.c.StringSlice(name))
	}
	for _, e := range l.envs(s) {
		if v := l.getenv(e); v != "" {
			l.origins[name] = l.source(s, e)
			return splitAll([]string{v})
		}
	}
	l.origins[name] = "default"
	if s.Default != "" {
		return splitAll([]string{s.Default})
	}
	return nil
}

// Bool returns a switch: the command line, then variables holding
// true/false/1/0/yes/no.
func (l lookup) Bool(name string) (bool, error) {
	s := l.spec(name)
	if l.c.IsSet(name) {
		l.origins[name] = "--" + name
		return l.c.Bool(name), nil
	}
	for _, e := range l.envs(s) {
		v := strings.ToLower(strings.TrimSpace(l.getenv(e)))
		if v == "" {
			continue
		}
		l.origins[name] = l.source(s, e)
		switch v {
		case "1", "true", "yes", "on":
			return true, nil
		case "0", "false", "no", "off":
			return false, nil
		default:
			return false, inputErr("%s is %q, not a boolean (valid: true, false)", l.source(s, e), v)
		}
	}
	l.origins[name] = "default"
	return false, nil
}

func splitAll(values []string) []string {
	var out []string
	for _, v := range values {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

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

var allFormats = []string{formatDotenv, formatGitHub, formatShell, formatJSON, formatTokenFile, formatPowerShell}

// Files under the project directory that profiles and the token go to by
// default: never the user's ~/.aws, and never a path an artifact glob such
// as aws.env picks up by accident.
const (
	defaultAWSDir             = ".aws-oidc"
	defaultAWSConfigFile      = defaultAWSDir + "/config"
	defaultAWSCredentialsFile = defaultAWSDir + "/credentials"
	defaultTokenOutputFile    = defaultAWSDir + "/web-identity-token"
)
