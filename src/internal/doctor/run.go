package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/ci"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/trustpolicy"
)

// Settings are what one run of `aws-oidc doctor` checks, read from the
// flags by the command line.
type Settings struct {
	// Token is the job's token, read as assume reads it; nil when it could
	// not be read: ReadErr says why and ReadFix what to do about it.
	Token   *token.Token
	ReadErr error
	ReadFix string
	// Platform, Audience (the one assume checks) and Skew check the token
	// with assume's preflight.
	Platform ci.Platform
	Audience string
	Skew     time.Duration
	// Options are the issuer checks' (limit, roots, clock, proxy); their
	// clock is the token check's too.
	Options Options
	// ProxySet is an environment that names a proxy the issuer checks do
	// not use (no --issuer-proxy): a failed issuer check says so.
	ProxySet bool
	// Policy, when set, is checked and evaluated against the token;
	// PolicyPath names it in the report.
	Policy     *trustpolicy.Policy
	PolicyPath string
	// Role, when set, is tried for real.
	Role *RoleSettings
	// Stderr takes the warning of a plain-http STS endpoint.
	Stderr io.Writer
}

// RoleSettings are the role check's: a real AssumeRoleWithWebIdentity.
type RoleSettings struct {
	Client exchange.Client
	// Request is the call's; its Token is the job's, set by Run.
	Request exchange.Request
	Retry   exchange.Retry
	Log     *slog.Logger
	// PlainHTTP is an endpoint of plain http to another machine, warned
	// about before the token is sent.
	PlainHTTP bool
	Endpoint  string
}

// Result is what a run found.
type Result struct {
	// Failed names the checks that failed, in the order run.
	Failed []string
	// Token is why the token check failed once the token was read (package
	// token's error: STS would refuse it), nil otherwise.
	Token error
	// Role is the role check's error, the exchange's when STS answered.
	Role error
}

// detailIndent lines details up under the summaries.
const detailIndent = "                    "

// run is one run of the checks, printing each line as it completes.
type run struct {
	s      Settings
	w      io.Writer
	now    func() time.Time
	failed []string
}

// Run runs the checks in order, printing one line each (and its details and
// fix) to w as it completes: the token, the issuer's discovery document,
// its TLS chain, its keys, its reachability, then the trust policy and the
// role when given. The checks after the token need its issuer, and the role
// is not tried with a token STS would refuse.
func Run(ctx context.Context, s Settings, w io.Writer) Result {
	r := &run{s: s, w: w, now: s.Options.Now}
	if r.now == nil {
		r.now = time.Now
	}
	d := New(s.Options)
	var res Result

	tokCheck := r.checkToken(&res)
	r.report(tokCheck)
	tok := s.Token
	if tok == nil {
		for _, name := range []string{"issuer", "tls", "keys", "reachability"} {
			r.report(Check{Name: name, Status: Skip, Summary: "needs the token's issuer"})
		}
		res.Failed = r.failed
		return res
	}
	iss := tok.Claims.Issuer
	issuerCheck, disc := d.Issuer(ctx, iss)
	if issuerCheck.Status == Fail && s.Options.Proxy == nil && s.ProxySet {
		issuerCheck.Fix += "; this runner has a proxy set (HTTPS_PROXY): if it reaches the internet only through it, run doctor with --issuer-proxy"
	}
	r.report(issuerCheck)
	r.report(d.TLS(ctx, iss))
	urls := []string{iss}
	if disc != nil && disc.JWKSURI != "" {
		r.report(d.Keys(ctx, disc.JWKSURI, tok))
		urls = append(urls, disc.JWKSURI)
	} else {
		r.report(Check{Name: "keys", Status: Skip, Summary: "needs jwks_uri from the discovery document"})
	}
	r.report(d.Reachability(ctx, urls...))

	facts := trustpolicy.Facts{Issuer: iss, Subject: tok.Claims.Subject, Audience: tok.Claims.Audience, GitHub: tok.Claims.IsGitHub(), TrustPolicy: s.Policy}
	if s.Policy != nil {
		r.report(r.checkPolicy(facts))
	}
	if s.Role != nil {
		facts.RoleARN = s.Role.Request.RoleARN.String()
		if res.Token != nil {
			r.report(Check{Name: "role", Status: Skip, Summary: "not tried: STS would refuse the token (see the token check)"})
		} else {
			check, err := r.checkRole(ctx, tok, facts)
			r.report(check)
			res.Role = err
		}
	}
	res.Failed = r.failed
	return res
}

func (r *run) report(c Check) {
	// One write per line (see logging.Writer): a summary or detail that
	// holds a newline is printed escaped, on its own line.
	fmt.Fprintf(r.w, "%-5s %-13s %s\n", c.Status, c.Name, c.Summary)
	for _, d := range c.Details {
		fmt.Fprintf(r.w, "%s%s\n", detailIndent, d)
	}
	if c.Fix != "" && c.Status != OK && c.Status != Skip {
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
	if c.Status == Fail {
		r.failed = append(r.failed, c.Name)
	}
}

// checkToken checks the token with assume's preflight; its fix is assume's
// hint for the same failure. A token STS would refuse is res.Token.
func (r *run) checkToken(res *Result) Check {
	check := Check{Name: "token"}
	tok := r.s.Token
	if tok == nil {
		check.Status, check.Summary, check.Fix = Fail, r.s.ReadErr.Error(), r.s.ReadFix
		return check
	}
	now := r.now()
	claims := tok.Claims
	kind := "GitLab"
	if claims.IsGitHub() {
		kind = "GitHub Actions"
	}
	check.Summary = fmt.Sprintf("%s token: sub %q, aud %s, %s", kind, claims.Subject, quoteJoin(claims.Audience), lifetime(claims.ExpiresAt, now))
	if err := token.Check(tok, token.CheckOptions{Now: now, Audience: r.s.Audience, Skew: r.s.Skew}); err != nil {
		res.Token = err
		check.Status, check.Summary, check.Fix = Fail, err.Error(), TokenFix(err, r.s.Platform, "", FlagAudience)
		return check
	}
	if left := claims.ExpiresAt.Sub(now); left < 2*time.Minute {
		check.Status = Warn
		check.Fix = "the token expires in " + left.Round(time.Second).String() + ": run aws-oidc at the start of the job, or give the job a longer timeout"
	}
	return check
}

func lifetime(exp, now time.Time) string {
	left := exp.Sub(now).Round(time.Second)
	if left <= 0 {
		return fmt.Sprintf("expired at %s", exp.UTC().Format(time.RFC3339))
	}
	return fmt.Sprintf("%s left (until %s)", left, exp.UTC().Format(time.RFC3339))
}

func (r *run) checkPolicy(f trustpolicy.Facts) Check {
	c := Check{Name: "trust-policy"}
	p := r.s.Policy
	for _, finding := range p.Check(trustpolicy.Expect{Issuer: f.Issuer, Audience: f.Audience, GitHub: f.GitHub}) {
		c.Details = append(c.Details, fmt.Sprintf("%s: %s", finding.Level, finding.Problem))
		if finding.Level == trustpolicy.Fail {
			c.Status = Fail
			if c.Fix == "" {
				c.Fix = finding.Fix
			}
		} else if c.Status == OK {
			c.Status = Warn
			c.Fix = finding.Fix
		}
	}
	v := p.Evaluate(f)
	if v.Allowed {
		c.Summary = fmt.Sprintf("%s admits this token", r.s.PolicyPath)
	} else {
		c.Status = Fail
		c.Summary = fmt.Sprintf("%s refuses this token", r.s.PolicyPath)
		c.Fix = "make the failing condition match the token's claims (`aws-oidc claims` shows the values to use)"
	}
	c.Details = append(c.Details, v.Reasons...)
	return c
}

func (r *run) checkRole(ctx context.Context, tok *token.Token, facts trustpolicy.Facts) (Check, error) {
	rs := r.s.Role
	if rs.PlainHTTP && r.s.Stderr != nil {
		fmt.Fprintf(r.s.Stderr, "warning: --sts-endpoint %s is plain http to another machine: the token crosses the network unencrypted; use https\n", rs.Endpoint)
	}
	req := rs.Request
	req.Token = tok.Value()
	check, err := Role(ctx, rs.Client, req, rs.Retry, facts, rs.Log)
	var xerr *exchange.Error
	if errors.As(err, &xerr) {
		// Keep the exchange error for the exit code; the line above has
		// already said the cause, with the trust policy when given.
		return check, xerr
	}
	return check, err
}
