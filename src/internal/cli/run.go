package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/httpclient"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/s3check"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
)

// Token checks before the network. The skew allows for runner clocks that
// drift from the instance's; the minimum lifetime keeps a token that would
// expire on the way to STS from being sent at all.
const (
	tokenSkew        = 2 * time.Minute
	tokenMinLifetime = 5 * time.Second
)

// assumeRun carries one run of `assume` (or `exec`) through its steps, so
// every failure can be explained with what was learnt before it.
type assumeRun struct {
	plan *Plan
	env  Env
	log  *slog.Logger
	tok  *token.Token
	// tags are the session tags of the first chained hop, claims included.
	tags       []exchange.Tag
	transitive []string
	// sourceIdentity is the first chained hop's, claims resolved.
	sourceIdentity string
}

// assumed is a role session that passed every check.
type assumed struct {
	target  Target
	creds   exchange.Credentials
	session exchange.Session
}

func newAssumeRun(plan *Plan, env Env) *assumeRun {
	if env.HTTPClient == nil {
		env.HTTPClient = plan.STS.HTTPClient
	}
	return &assumeRun{plan: plan, env: env, log: logging.New(env.Stderr, plan.Debug)}
}

// assumeAll reads the token and assumes every target; it returns sessions
// for all of them or an error, never some.
func (r *assumeRun) assumeAll(ctx context.Context) ([]assumed, error) {
	r.warnPlainHTTP()
	if err := r.checkDotenvCount(); err != nil {
		return nil, err
	}
	tok, err := r.token(ctx)
	if err != nil {
		return nil, err
	}
	r.tok = tok
	if s := r.plan.Session; s.NameGiven != "" {
		r.log.Info(fmt.Sprintf("session name %q rewritten to %q to fit STS's rules", s.NameGiven, s.Name))
	}
	if err := r.sessionTags(); err != nil {
		return nil, err
	}
	results := r.assumeTargets(ctx, r.assumeOne)
	if !r.plan.many() {
		if err := results[0].err; err != nil {
			return nil, err
		}
		return []assumed{results[0].assumed}, nil
	}
	return r.report(results)
}

// targetResult is one target's outcome.
type targetResult struct {
	assumed
	err  error
	took time.Duration
}

// assumeTargets assumes every target with assume (assumeOne), at most
// MaxParallel at a time, and returns the results in the targets' order.
// When one fails the others still finish (they are already on their way),
// so every failure is reported at once.
func (r *assumeRun) assumeTargets(ctx context.Context, assume func(context.Context, Target, *slog.Logger) (assumed, error)) []targetResult {
	targets := r.plan.Targets
	results := make([]targetResult, len(targets))
	sem := make(chan struct{}, max(r.plan.MaxParallel, 1))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			log := r.log
			if t.Name != "" {
				log = log.With("role", t.Name)
			}
			start := r.env.Now()
			a, err := assume(ctx, t, log)
			results[i] = targetResult{assumed: a, err: err, took: r.env.Now().Sub(start)}
		}()
	}
	wg.Wait()
	return results
}

// report says in one line per role of --roles how it went; one failure
// fails them all.
func (r *assumeRun) report(results []targetResult) ([]assumed, error) {
	var sessions []assumed
	var failed []roleFailure
	for i, res := range results {
		t, took := r.plan.Targets[i], res.took.Round(time.Millisecond)
		if res.err != nil {
			r.log.Info(fmt.Sprintf("role %q: failed after %s: %v", t.Name, took, res.err))
			failed = append(failed, roleFailure{Name: t.Name, RoleARN: t.Role.String(), Err: res.err})
			continue
		}
		to := "prefix " + t.Prefix
		if t.Profile != "" {
			to = "profile " + t.Profile
		}
		r.log.Info(fmt.Sprintf("role %q: assumed %s (account %s) until %s, for %s, in %s", t.Name,
			orDefault(res.session.AssumedRoleARN, res.session.RoleARN), res.session.AccountID,
			res.creds.Expiration.UTC().Format(time.RFC3339), to, took))
		sessions = append(sessions, res.assumed)
	}
	if len(failed) > 0 {
		return nil, &RolesError{Failed: failed, Total: len(results)}
	}
	return sessions, nil
}

// checkSessionName refuses a session name made of the job's token
// (session_name: $AWS_OIDC_TOKEN passes the input's regex): STS would keep
// it in CloudTrail, and the log would print it. Only a name that holds a
// part of the token, or a long enough piece of one, counts.
func checkSessionName(s Session, raw string) error {
	const minPiece = 16
	for _, name := range []string{s.NameGiven, s.Name} {
		if len(name) < minPiece {
			continue
		}
		for _, part := range strings.Split(raw, ".") {
			if len(part) >= minPiece && (strings.Contains(name, part) || strings.Contains(part, name)) || strings.Contains(raw, name) {
				return &InputError{Field: "session-name", Msg: "it holds the job's ID token or a part of it, which STS would keep in CloudTrail; " +
					"name the session after the job instead, such as deploy-$CI_PIPELINE_ID"}
			}
		}
	}
	return nil
}

func (r *assumeRun) token(ctx context.Context) (*token.Token, error) {
	if r.plan.Token.GitHub {
		if u, err := url.Parse(r.env.Getenv("ACTIONS_ID_TOKEN_REQUEST_URL")); err == nil && u.Host != "" {
			// The host alone: the rest of the URL is GitHub's business.
			r.log.Debug(fmt.Sprintf("GitHub's token endpoint %s: %s", u.Host, httpclient.Describe(r.env.Getenv, u.Scheme+"://"+u.Host)))
		}
	}
	tok, err := loadToken(ctx, r.plan.Token, r.env)
	if err != nil {
		return nil, err
	}
	if err := checkSessionName(r.plan.Session, tok.Value()); err != nil {
		return nil, err
	}
	r.logClaims(tok)
	err = token.Check(tok, token.CheckOptions{
		Now:         r.env.Now(),
		Audience:    r.plan.Token.CheckAudience(),
		MinLifetime: tokenMinLifetime,
		Skew:        tokenSkew,
	})
	if err != nil {
		return nil, &TokenError{Err: err, Platform: r.plan.Platform, Claims: &tok.Claims}
	}
	if left := tok.Claims.ExpiresAt.Sub(r.env.Now()); left < r.plan.STS.Timeout {
		r.log.Debug(fmt.Sprintf("the token expires in %s, before the %s deadline", left.Round(time.Second), r.plan.STS.Timeout))
	}
	return tok, nil
}

// logClaims shows what a trust policy is matched against, folded away in
// CI logs because it is only read when something fails.
func (r *assumeRun) logClaims(tok *token.Token) {
	end := r.plan.Platform.Section(r.env.Stderr, "aws_oidc_token", "aws-oidc: token claims and request", r.env.Now)
	defer end()
	for _, kv := range tok.Claims.Safe() {
		fmt.Fprintf(r.env.Stderr, "  %-14s %s\n", kv.Key, kv.Value)
	}
	if r.plan.many() {
		fmt.Fprintf(r.env.Stderr, "  %-14s %d from %s, %d at a time\n", "roles", len(r.plan.Targets), r.plan.RolesFile, r.plan.MaxParallel)
	} else {
		fmt.Fprintf(r.env.Stderr, "  %-14s %s\n", "role", r.plan.Targets[0].Role)
	}
	for i, c := range r.plan.Chain.Roles {
		fmt.Fprintf(r.env.Stderr, "  %-14s %s\n", fmt.Sprintf("chain hop %d", i+1), c)
	}
	if !r.plan.Chain.SourceIdentity.IsZero() {
		fmt.Fprintf(r.env.Stderr, "  %-14s %s\n", "source identity", r.plan.Chain.SourceIdentity)
	}
	fmt.Fprintf(r.env.Stderr, "  %-14s %s\n", "session", r.plan.Session.Name)
	fmt.Fprintf(r.env.Stderr, "  %-14s %s (%s)\n", "sts", r.plan.STS.Endpoint, r.plan.STS.Region)
}

// sessionTags adds the token's claims to the tags of the first chained hop,
// now that the claims are known, and checks the whole set again.
func (r *assumeRun) sessionTags() error {
	var fromClaims []exchange.Tag
	if r.plan.Chain.TagsFromClaims {
		var rewritten []string
		fromClaims, rewritten = exchange.ClaimTags(r.tok.Claims)
		if len(rewritten) > 0 {
			r.log.Info(fmt.Sprintf("session tags %s rewritten to fit AWS's tag rules (characters outside letters, digits, spaces and _.:/=+-@ became _, values cut to %d)",
				strings.Join(rewritten, ", "), exchange.MaxTagValue))
		}
	}
	var err error
	r.tags, r.transitive, err = exchange.Tags(r.plan.Chain.Tags, fromClaims, r.plan.Chain.TransitiveTagKeys)
	if err != nil {
		return err
	}
	if !r.plan.Chain.SourceIdentity.IsZero() {
		var rewritten bool
		if r.sourceIdentity, rewritten, err = r.plan.Chain.SourceIdentity.Resolve(r.tok.Claims); err != nil {
			return err
		}
		if rewritten {
			r.log.Info(fmt.Sprintf("source identity from claim %s rewritten to fit STS's rules (2..64 of letters, digits and _+=,.@-)", r.plan.Chain.SourceIdentity.Claim))
		}
	}
	if len(r.tags) > 0 {
		keys := make([]string, len(r.tags))
		for i, t := range r.tags {
			keys[i] = t.Key
		}
		r.log.Debug(fmt.Sprintf("session tags: %s", strings.Join(keys, ", ")))
	}
	return nil
}

func (r *assumeRun) retry() exchange.Retry {
	retry := exchange.DefaultRetry()
	retry.MaxAttempts = r.plan.STS.MaxAttempts
	retry.AttemptTimeout = r.plan.STS.AttemptTimeout
	retry.Now = r.env.Now
	return retry
}

func (r *assumeRun) stsClient(t Target, c *exchange.Credentials) exchangeClient {
	return exchange.NewClient(r.stsOptions(t, c))
}

func (r *assumeRun) stsOptions(t Target, c *exchange.Credentials) exchange.ClientOptions {
	return exchange.ClientOptions{Region: t.Region, Endpoint: t.Endpoint, HTTPClient: r.env.HTTPClient, UserAgent: r.plan.STS.UserAgent, Credentials: c}
}

// exchangeClient is every STS operation a run uses.
type exchangeClient interface {
	exchange.Client
	exchange.RoleClient
	exchange.IdentityClient
}

// assumeOne takes one role from the token to checked credentials: the web
// identity exchange, the chained hops, the account check, --verify and
// --check-s3. Nothing is written here.
func (r *assumeRun) assumeOne(ctx context.Context, t Target, log *slog.Logger) (assumed, error) {
	res, err := r.exchange(ctx, t, log)
	if err != nil {
		return assumed{}, err
	}
	final := r.plan.final(t)
	// The account is the one STS answered for, as the outputs and the log
	// report it; the role's when the answer names none.
	account, ok := exchange.AssumedRoleAccount(res.AssumedRoleARN, final.Partition)
	if !ok {
		account = final.AccountID
	}
	a := assumed{target: t, creds: res.Credentials, session: exchange.Session{
		RoleARN:        final.String(),
		AssumedRoleARN: res.AssumedRoleARN,
		AccountID:      account,
		SessionName:    r.plan.Session.Name,
		Region:         t.Region,
	}}
	if err := r.check(ctx, &a, final, log); err != nil {
		return assumed{}, err
	}
	return a, nil
}

// exchange calls AssumeRoleWithWebIdentity for t, then AssumeRole for each
// chained hop.
func (r *assumeRun) exchange(ctx context.Context, t Target, log *slog.Logger) (exchange.Result, error) {
	s, chain := r.plan.Session, r.plan.Chain
	req := exchange.Request{
		RoleARN:     t.Role,
		SessionName: s.Name,
		Token:       r.tok.Value(),
		Duration:    t.Duration,
		Policy:      s.Policy,
		PolicyARNs:  s.PolicyARNs,
		Secrets:     r.env.secrets,
		TokenExpiry: r.tok.Claims.ExpiresAt,
	}
	if len(chain.Roles) > 0 {
		// The first session only signs the next hop; the session policies
		// belong to the session handed out.
		req.Duration, req.Policy, req.PolicyARNs = exchange.FirstHopDuration, "", nil
	}
	log.Debug(fmt.Sprintf("STS %s: %s", t.Endpoint, httpclient.Describe(r.env.Getenv, t.Endpoint)))
	res, err := exchange.Exchange(ctx, r.stsClient(t, nil), req, r.retry(), log)
	if err != nil {
		return res, r.explain(err, t.Role)
	}
	if len(chain.Roles) == 0 {
		return res, nil
	}
	d, clamped := exchange.ClampDuration(t.Duration)
	if clamped {
		log.Warn(fmt.Sprintf("--duration %s clamped to %s: AWS caps role chaining sessions at one hour", t.Duration, d))
	}
	return exchange.Chain(ctx, r.stsOptions(t, nil), res, exchange.ChainRequest{
		Roles: chain.Roles, SessionName: s.Name, ExternalID: chain.ExternalID, Duration: d,
		Tags: r.tags, TransitiveTagKeys: r.transitive, Policy: s.Policy, PolicyARNs: s.PolicyARNs,
		SourceIdentity: r.sourceIdentity,
		Secrets:        r.env.secrets,
	}, r.retry(), log)
}

// check proves a's credentials: the account --allowed-account allows,
// --verify and --check-s3.
func (r *assumeRun) check(ctx context.Context, a *assumed, final exchange.ARN, log *slog.Logger) error {
	c := r.plan.Checks
	if len(c.AllowedAccounts) > 0 {
		// Checked from what STS answered, not only from what we asked for;
		// a server that answers without an assumed role ARN (AWS always
		// gives one) is held to the role asked for.
		account, what := final.AccountID, final.String()
		if arn := a.session.AssumedRoleARN; arn != "" {
			var ok bool
			if account, ok = exchange.AssumedRoleAccount(arn, final.Partition); !ok {
				return &UnprovenAccountError{ARN: arn, Partition: final.Partition}
			}
			what = arn
		}
		if err := allowAccount(c.AllowedAccounts, account, what); err != nil {
			return err
		}
	}
	if c.Verify {
		if err := r.verify(ctx, a.target, a.creds, &a.session, log); err != nil {
			return err
		}
	}
	if c.S3 != nil {
		return r.checkS3(ctx, a.target, a.creds, final.Partition, log)
	}
	return nil
}

// explain attaches what the token said to an STS refusal, for the hint.
func (r *assumeRun) explain(err error, arn exchange.ARN) error {
	return &STSError{Err: err, Claims: &r.tok.Claims, RoleARN: arn.String()}
}

func (r *assumeRun) verify(ctx context.Context, t Target, c exchange.Credentials, s *exchange.Session, log *slog.Logger) error {
	id, err := exchange.Verify(ctx, r.stsClient(t, &c), r.retry(), log, r.env.secrets)
	if err != nil {
		return &VerifyError{Err: err}
	}
	if id.Account != "" && id.Account != s.AccountID {
		return &VerifyError{Account: id.Account, Want: s.AccountID}
	}
	if account, ok := exchange.AssumedRoleAccount(id.ARN, t.Role.Partition); ok && len(r.plan.Checks.AllowedAccounts) > 0 {
		// The caller's ARN replaces the answer's in what is logged: one of
		// another account is held to --allowed-account as the answer's was.
		// Its Account was checked above; some STS-compatible servers
		// answer an ARN without one (SeaweedFS: arn:aws:sts::assumed-role/...).
		if err := allowAccount(r.plan.Checks.AllowedAccounts, account, id.ARN); err != nil {
			return err
		}
	}
	if id.ARN != "" {
		s.AssumedRoleARN = id.ARN
	}
	log.Info(fmt.Sprintf("verified: caller is %s (account %s)", id.ARN, id.Account))
	return nil
}

func (r *assumeRun) checkS3(ctx context.Context, t Target, c exchange.Credentials, partition string, log *slog.Logger) error {
	client := s3check.NewClient(exchange.ClientOptions{Region: t.Region, Endpoint: r.plan.Checks.S3Endpoint, HTTPClient: r.env.HTTPClient,
		Credentials: &c, UserAgent: r.plan.STS.UserAgent})
	n, err := s3check.Check(ctx, client, *r.plan.Checks.S3, partition, r.retry(), log)
	if err != nil {
		var be *s3check.Error
		if errors.As(err, &be) {
			return &checkS3Error{err: be}
		}
		return err
	}
	log.Info(fmt.Sprintf("checked %s: HeadBucket and ListObjectsV2 allowed (%d key seen)", r.plan.Checks.S3, n))
	return nil
}
