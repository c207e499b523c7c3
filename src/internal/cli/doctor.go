package cli

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
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

	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
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

// doctorRun is one run of the checks, printing each line as it completes.
type doctorRun struct {
	cfg    *doctorConfig
	env    Env
	w      io.Writer
	failed []string
}

func (r *doctorRun) report(c doctor.Check) {
	// One write per line (see logging.Writer): a summary or detail that
	// holds a newline is printed escaped, on its own line.
	fmt.Fprintf(r.w, "%-5s %-13s %s\n", c.Status, c.Name, c.Summary)
	for _, d := range c.Details {
		fmt.Fprintf(r.w, "%s%s\n", detailIndent, d)
	}
	if c.Fix != "" && c.Status != doctor.OK && c.Status != doctor.Skip {
		// A fix of several lines (the id_tokens: YAML of a hint) keeps
		// its continuation lines inside the check's block.
		for i, line := range strings.Split(c.Fix, "\n") {
			if i == 0 {
				line = "fix: " + line
			} else {
				line = "  " + line
			}
			fmt.Fprintf(r.w, "%s%s\n", detailIndent, line)
		}
	}
	if c.Status == doctor.Fail {
		r.failed = append(r.failed, c.Name)
	}
}

// detailIndent lines details up under the summaries.
const detailIndent = "                    "

func runDoctor(c *cli.Context, cfg *doctorConfig, env Env) error {
	ctx, cancel := context.WithTimeout(c.Context, cfg.timeout)
	defer cancel()
	r := &doctorRun{cfg: cfg, env: env, w: env.diag(env.Stdout)}
	opts := doctor.Options{Limit: cfg.limit, RootCAs: cfg.roots, Now: env.Now}
	// The issuer checks imitate AWS, which fetches from the internet
	// directly; --issuer-proxy is for runners with no other way out.
	if cfg.issuerProxy {
		opts.Proxy = httpclient.Proxy(env.Getenv)
	}
	d := doctor.New(opts)

	tok, tokCheck, tokErr := r.checkToken(c)
	r.report(tokCheck)
	if tok == nil {
		for _, name := range []string{"issuer", "tls", "keys", "reachability"} {
			r.report(doctor.Check{Name: name, Status: doctor.Skip, Summary: "needs the token's issuer"})
		}
		return r.finish(tokErr)
	}
	iss := tok.Claims.Issuer
	issuerCheck, disc := d.Issuer(ctx, iss)
	if issuerCheck.Status == doctor.Fail && !cfg.issuerProxy && httpclient.Proxy(env.Getenv) != nil {
		issuerCheck.Fix += "; this runner has a proxy set (HTTPS_PROXY): if it reaches the internet only through it, run doctor with --issuer-proxy"
	}
	r.report(issuerCheck)
	r.report(d.TLS(ctx, iss))
	urls := []string{iss}
	if disc != nil && disc.JWKSURI != "" {
		r.report(d.Keys(ctx, disc.JWKSURI, tok))
		urls = append(urls, disc.JWKSURI)
	} else {
		r.report(doctor.Check{Name: "keys", Status: doctor.Skip, Summary: "needs jwks_uri from the discovery document"})
	}
	r.report(d.Reachability(ctx, urls...))

	facts := trustpolicy.Facts{Issuer: iss, Subject: tok.Claims.Subject, Audience: tok.Claims.Audience, GitHub: tok.Claims.IsGitHub(), TrustPolicy: cfg.policy}
	if cfg.policy != nil {
		r.report(r.checkPolicy(facts))
	}
	if cfg.role != nil {
		facts.RoleARN = cfg.role.String()
		if tokErr != nil {
			r.report(doctor.Check{Name: "role", Status: doctor.Skip, Summary: "not tried: STS would refuse the token (see the token check)"})
		} else {
			check, err := r.checkRole(ctx, tok, facts)
			r.report(check)
			if err != nil && tokErr == nil {
				tokErr = err
			}
		}
	}
	return r.finish(tokErr)
}

func (r *doctorRun) finish(cause error) error {
	if len(r.failed) == 0 {
		return nil
	}
	return &DoctorError{Failed: r.failed, err: cause}
}

// checkToken reads the token with assume's rules and checks it with
// assume's preflight; its fix is assume's hint for the same failure.
func (r *doctorRun) checkToken(c *cli.Context) (*token.Token, doctor.Check, error) {
	check := doctor.Check{Name: "token"}
	tok, pick, err := readToken(c.Context, r.cfg.l, r.env, r.cfg.tokenRegion())
	if err != nil {
		check.Status, check.Summary, check.Fix = doctor.Fail, err.Error(), Hint(err)
		return nil, check, err
	}
	now := r.env.Now()
	claims := tok.Claims
	kind := "GitLab"
	if claims.IsGitHub() {
		kind = "GitHub Actions"
	}
	check.Summary = fmt.Sprintf("%s token: sub %q, aud %s, %s", kind, claims.Subject, quoteJoin(claims.Audience), lifetime(claims.ExpiresAt, now))
	err = token.Check(tok, token.CheckOptions{Now: now, Audience: pick.CheckAudience(), Skew: tokenSkew})
	if err != nil {
		err = &TokenError{Err: err, Platform: pick.Platform, Claims: &tok.Claims}
		check.Status, check.Summary, check.Fix = doctor.Fail, err.Error(), Hint(err)
		return tok, check, err
	}
	if left := claims.ExpiresAt.Sub(now); left < 2*time.Minute {
		check.Status = doctor.Warn
		check.Fix = "the token expires in " + left.Round(time.Second).String() + ": run aws-oidc at the start of the job, or give the job a longer timeout"
	}
	return tok, check, nil
}

func lifetime(exp, now time.Time) string {
	left := exp.Sub(now).Round(time.Second)
	if left <= 0 {
		return fmt.Sprintf("expired at %s", exp.UTC().Format(time.RFC3339))
	}
	return fmt.Sprintf("%s left (until %s)", left, exp.UTC().Format(time.RFC3339))
}

func (r *doctorRun) checkPolicy(f trustpolicy.Facts) doctor.Check {
	c := doctor.Check{Name: "trust-policy"}
	p := r.cfg.policy
	for _, finding := range p.Check(trustpolicy.Expect{Issuer: f.Issuer, Audience: f.Audience, GitHub: f.GitHub}) {
		c.Details = append(c.Details, fmt.Sprintf("%s: %s", finding.Level, finding.Problem))
		if finding.Level == trustpolicy.Fail {
			c.Status = doctor.Fail
			if c.Fix == "" {
				c.Fix = finding.Fix
			}
		} else if c.Status == doctor.OK {
			c.Status = doctor.Warn
			c.Fix = finding.Fix
		}
	}
	v := p.Evaluate(f)
	if v.Allowed {
		c.Summary = fmt.Sprintf("%s admits this token", r.cfg.policyPath)
	} else {
		c.Status = doctor.Fail
		c.Summary = fmt.Sprintf("%s refuses this token", r.cfg.policyPath)
		c.Fix = "make the failing condition match the token's claims (`aws-oidc claims` shows the values to use)"
	}
	c.Details = append(c.Details, v.Reasons...)
	return c
}

func (r *doctorRun) checkRole(ctx context.Context, tok *token.Token, facts trustpolicy.Facts) (doctor.Check, error) {
	if plainRemote(r.cfg.endpoint) {
		fmt.Fprintf(r.env.Stderr, "warning: --sts-endpoint %s is plain http to another machine: the token crosses the network unencrypted; use https\n", r.cfg.endpoint)
	}
	client := exchange.NewClient(exchange.ClientOptions{
		Region:     r.cfg.region,
		Endpoint:   r.cfg.endpoint,
		HTTPClient: r.stsHTTPClient(),
		UserAgent:  ci.UserAgent(ci.Detect(r.env.Getenv), version.Get().Version, r.env.Getenv),
	})
	retry := exchange.DefaultRetry()
	retry.MaxAttempts = 3
	retry.Now = r.env.Now
	check, err := doctor.Role(ctx, client, exchange.Request{
		RoleARN:     *r.cfg.role,
		SessionName: r.cfg.sessionName,
		Token:       tok.Value(),
		Duration:    15 * time.Minute,
		Secrets:     r.env.secrets,
	}, retry, facts, logging.New(r.env.Stderr, r.cfg.debug))
	var xerr *exchange.Error
	if errors.As(err, &xerr) {
		// Keep the exchange error for the exit code; the line above has
		// already said the cause, with the trust policy when given.
		return check, xerr
	}
	return check, err
}

// stsHTTPClient is the injected client, or one that trusts --ca-bundle and
// goes through the environment's proxy, as assume's does: this call is the
// job's own, not AWS's.
func (r *doctorRun) stsHTTPClient() *http.Client {
	if r.env.HTTPClient != nil {
		return r.env.HTTPClient
	}
	return httpclient.NewWithRoots(r.env.Getenv, r.cfg.roots)
}
