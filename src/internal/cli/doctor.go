package cli

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/ci"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/doctor"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/httpclient"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/trustpolicy"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/version"
)

func doctorFlags() []flagSpec {
	return append(
		withUsage(withUsage(tokenFlags("token-env", "token-file", "audience", "role-arn", "region", "sts-endpoint"),
			"role-arn", "ARN of a role to try AssumeRoleWithWebIdentity on, for real (optional)"),
			"region", "AWS region of the STS endpoint for --role-arn"),
		flagSpec{Name: "trust-policy", Envs: []string{"AWS_OIDC_TRUST_POLICY"}, Usage: "the role's trust policy `FILE` (JSON, or the output of aws iam get-role): check it, and name the condition that fails"},
		flagSpec{Name: "session-name", Usage: "role session name of the test call", Default: "aws-oidc-doctor"},
		flagSpec{Name: "ca-bundle", Envs: []string{"AWS_CA_BUNDLE", "SSL_CERT_FILE"}, Usage: "PEM file of extra CAs to trust (a private CA); AWS itself trusts only public CAs"},
		flagSpec{Name: "issuer-proxy", Envs: []string{"AWS_OIDC_DOCTOR_ISSUER_PROXY"}, Usage: "fetch the issuer's documents and TLS chain through $HTTPS_PROXY too (default: directly, as AWS does; the role check always uses the proxy)", Bool: true},
		flagSpec{Name: "issuer-limit", Usage: "how long the issuer may take to answer, as STS allows", Default: "5s"},
		flagSpec{Name: "timeout", Envs: []string{"AWS_OIDC_TIMEOUT"}, Usage: "overall deadline", Default: "60s"},
		flagSpec{Name: "debug", Envs: []string{"AWS_OIDC_DEBUG"}, Usage: "more diagnostics on stderr (never a secret)", Bool: true},
	)
}

func doctorCommand(env Env) *cli.Command {
	return &cli.Command{
		Name:  "doctor",
		Usage: "find why AWS refuses the job's token: token, issuer, TLS chain, keys, reachability, and optionally the role",
		Description: "Checks, in order, and prints one line each (ok, warn, fail) with the fix for anything not ok:\n" +
			"  token         present, a JWT, not expired, lifetime left, audience (--audience)\n" +
			"  issuer        <iss>/.well-known/openid-configuration answered within 5s, issuer = iss, jwks_uri\n" +
			"  tls           the chain as presented: leaf, intermediates, root, no duplicates or strangers, valid for the host\n" +
			"  keys          jwks_uri answered within 5s, the token's kid present, signature verified (RS256)\n" +
			"  reachability  the issuer does not resolve to a private, loopback or link-local address\n" +
			"  trust-policy  with --trust-policy: the policy's problems and whether it admits this token\n" +
			"  role          with --role-arn: a real AssumeRoleWithWebIdentity, and the cause of a refusal\n\n" +
			"Exit codes: 0 all ok or warn, 3 token problem, 4 STS refused, 5 STS unreachable, 2 invalid flags, 1 another check failed.",
		Flags:        flags(doctorFlags()),
		OnUsageError: func(_ *cli.Context, err error, _ bool) error { return &InputError{Command: "doctor", Msg: err.Error()} },
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return &InputError{Command: "doctor", Msg: fmt.Sprintf("unexpected argument %q: doctor takes flags only", logging.URL(c.Args().First()))}
			}
			cfg, err := parseDoctor(c, env)
			if err != nil {
				return commandError("doctor", err)
			}
			return runDoctor(c, cfg, env)
		},
	}
}

// doctorConfig is the validated configuration of `doctor`.
type doctorConfig struct {
	l           lookup
	role        *exchange.ARN
	region      string
	endpoint    string
	sessionName string
	policyPath  string
	policy      *trustpolicy.Policy
	roots       *x509.CertPool
	limit       time.Duration
	timeout     time.Duration
	debug       bool
	// issuerProxy sends the issuer checks through the environment's proxy.
	issuerProxy bool
}

func parseDoctor(c *cli.Context, env Env) (*doctorConfig, error) {
	l := newLookup(c, env.Getenv, doctorFlags())
	cfg := &doctorConfig{l: l}
	var err error
	if arn, _ := l.String("role-arn"); strings.TrimSpace(arn) != "" {
		a, err := exchange.ParseARN(strings.TrimSpace(arn))
		if err != nil {
			return nil, err
		}
		cfg.role = &a
		cfg.region, _ = l.String("region")
		if err := exchange.CheckPartition(a, cfg.region); err != nil {
			return nil, err
		}
		endpoint, from := l.String("sts-endpoint")
		if endpoint == "" {
			cfg.endpoint, err = exchange.STSEndpoint(cfg.region)
		} else {
			cfg.endpoint, err = parseEndpoint(endpoint, from)
		}
		if err != nil {
			return nil, err
		}
		cfg.sessionName, _ = l.String("session-name")
		cfg.sessionName, _ = exchange.SessionName(cfg.sessionName)
	}
	if cfg.policyPath, _ = l.String("trust-policy"); cfg.policyPath != "" {
		readCtx, cancel := inputContext(l)
		defer cancel()
		if cfg.policy, err = readTrustPolicy(readCtx, cfg.policyPath, "trust-policy"); err != nil {
			return nil, err
		}
	}
	if bundle, from := l.String("ca-bundle"); bundle != "" {
		readCtx, cancel := inputContext(l)
		defer cancel()
		if cfg.roots, err = loadCABundle(readCtx, env.Getenv, bundle, from); err != nil {
			return nil, err
		}
	}
	if cfg.limit, err = positiveDuration(l, "issuer-limit"); err != nil {
		return nil, err
	}
	if cfg.timeout, err = positiveDuration(l, "timeout"); err != nil {
		return nil, err
	}
	if cfg.debug, err = l.Bool("debug"); err != nil {
		return nil, err
	}
	if cfg.issuerProxy, err = l.Bool("issuer-proxy"); err != nil {
		return nil, err
	}
	if cfg.issuerProxy || cfg.role != nil {
		// Both go through the proxy: a variable that is not a URL would
		// send them direct, and the report would blame the network.
		if err := httpclient.CheckProxy(env.Getenv); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// tokenRegion is the region whose partition picks the audience of a GitHub
// token: the role's, as assume does (issue 11: doctor asked for
// sts.amazonaws.com for an aws-cn role), else --region when it is one.
func (c *doctorConfig) tokenRegion() string {
	if c.role != nil {
		return c.region
	}
	if r, _ := c.l.String("region"); r != "" {
		if _, err := exchange.PartitionOf(r); err == nil {
			return r
		}
	}
	return defaultRegion
}

// loadCABundle adds a PEM bundle to the system's roots, as the AWS SDKs do
// with AWS_CA_BUNDLE.
func loadCABundle(ctx context.Context, getenv func(string) string, path, from string) (*x509.CertPool, error) {
	pool, err := httpclient.Roots(ctx, getenv, path)
	if err != nil {
		var be *httpclient.BundleError
		if errors.As(err, &be) && be.Var != "" {
			return nil, err // names SSL_CERT_FILE or SSL_CERT_DIR; exit 2
		}
		return nil, &InputError{Field: "ca-bundle", Msg: fmt.Sprintf("%v (from %s)", err, from)}
	}
	return pool, nil
}

// DoctorError is a doctor run with failed checks. It wraps the failure that
// decides the exit code: a token problem (3), an STS refusal (4), else 1.
type DoctorError struct {
	Failed []string
	err    error
}

func (e *DoctorError) Error() string {
	return fmt.Sprintf("%d check(s) failed: %s", len(e.Failed), strings.Join(e.Failed, ", "))
}

func (e *DoctorError) Unwrap() error { return e.err }

// Hint implements the hinter of Hint, for failures without a typed cause.
func (e *DoctorError) Hint() string {
	return "apply the fix under each failed check above, then run `aws-oidc doctor` again"
}

// runDoctor reads the token as assume does, runs doctor's checks with the
// settings of the flags, and maps what failed to the error (and exit code)
// of the command.
func runDoctor(c *cli.Context, cfg *doctorConfig, env Env) error {
	s := doctor.Settings{
		Skew:    tokenSkew,
		Options: doctor.Options{Limit: cfg.limit, RootCAs: cfg.roots, Now: env.Now},
		// The issuer checks imitate AWS, which fetches from the internet
		// directly; --issuer-proxy is for runners with no other way out.
		ProxySet:   !cfg.issuerProxy && httpclient.Proxy(env.Getenv) != nil,
		Policy:     cfg.policy,
		PolicyPath: cfg.policyPath,
		Stderr:     env.Stderr,
	}
	if cfg.issuerProxy {
		s.Options.Proxy = httpclient.Proxy(env.Getenv)
	}
	tok, pick, readErr := readToken(c.Context, cfg.l, env, cfg.tokenRegion())
	s.Token, s.Platform, s.Audience = tok, pick.Platform, pick.CheckAudience()
	if readErr != nil {
		s.ReadErr, s.ReadFix = readErr, Hint(readErr)
	}
	if cfg.role != nil {
		s.Role = cfg.roleSettings(env)
	}
	ctx, cancel := context.WithTimeout(c.Context, cfg.timeout)
	defer cancel()
	res := doctor.Run(ctx, s, env.diag(env.Stdout))
	if len(res.Failed) == 0 {
		return nil
	}
	cause := readErr
	switch {
	case res.Token != nil:
		cause = &TokenError{Err: res.Token, Platform: pick.Platform, Claims: &tok.Claims}
	case cause == nil:
		cause = res.Role
	}
	return &DoctorError{Failed: res.Failed, err: cause}
}

// roleSettings are the role check's: the STS client, retries and request
// of a real call, as assume makes them.
func (c *doctorConfig) roleSettings(env Env) *doctor.RoleSettings {
	retry := exchange.DefaultRetry()
	retry.MaxAttempts = 3
	retry.Now = env.Now
	return &doctor.RoleSettings{
		Client: exchange.NewClient(exchange.ClientOptions{
			Region:     c.region,
			Endpoint:   c.endpoint,
			HTTPClient: c.stsHTTPClient(env),
			UserAgent:  ci.UserAgent(ci.Detect(env.Getenv), version.Get().Version, env.Getenv),
		}),
		Request: exchange.Request{
			RoleARN:     *c.role,
			SessionName: c.sessionName,
			Duration:    15 * time.Minute,
			Secrets:     env.secrets,
		},
		Retry:     retry,
		Log:       logging.New(env.Stderr, c.debug),
		PlainHTTP: plainRemote(c.endpoint),
		Endpoint:  c.endpoint,
	}
}

// stsHTTPClient is the injected client, or one that trusts --ca-bundle and
// goes through the environment's proxy, as assume's does: this call is the
// job's own, not AWS's.
func (c *doctorConfig) stsHTTPClient(env Env) *http.Client {
	if env.HTTPClient != nil {
		return env.HTTPClient
	}
	return httpclient.NewWithRoots(env.Getenv, c.roots)
}
