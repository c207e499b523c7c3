package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/atomicfile"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/awsconfig"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/httpclient"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/output"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/rolesfile"
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

// tokenFileMode keeps the job's token readable by the job's user only.
const tokenFileMode = 0o600

func assumeCommand(env Env) *cli.Command {
	return &cli.Command{
		Name:    "assume",
		Aliases: []string{"assume-role"},
		Usage:   "exchange the job's ID token for AWS credentials and write them out",
		Description: "Reads the job's OIDC ID token, checks it, calls STS AssumeRoleWithWebIdentity with classified " +
			"retries, and writes the credentials as a GitLab dotenv report, to GITHUB_ENV, or as shell export lines.\n\n" +
			"Several roles: --roles FILE assumes a list of roles concurrently with one token, all or nothing; " +
			"--profile writes AWS config and credentials files. --chain-role-arn continues with AssumeRole " +
			"(session tags, external id). --output token-file lets SDKs refresh credentials themselves within the job. " +
			"--verify, --allowed-account and --check-s3 prove the credentials before anything is written.\n\n" +
			"Exit codes: 0 success, 2 invalid input or configuration, 3 token problem, 4 STS refused, " +
			"5 transient failure after all attempts, 1 anything else.",
		Flags: flags(assumeFlags),
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return &UsageError{Err: err}
		},
		Action: func(c *cli.Context) error {
			if inComponent(env.Getenv) {
				log := logging.New(env.Stderr, false)
				if err := checkComponent(env.Getenv, func(msg string) { log.Warn(msg) }); err != nil {
					return inComponentErr(err, env.Getenv)
				}
			}
			cfg, err := parseAssume(c, env)
			if err != nil {
				return inComponentErr(err, env.Getenv)
			}
			return inComponentErr(runAssume(c.Context, cfg, env), env.Getenv)
		},
	}
}

// assumeRun carries one run of `assume` (or `exec`) through its steps, so
// every failure can be explained with what was learnt before it.
type assumeRun struct {
	cfg *AssumeConfig
	env Env
	log *slog.Logger
	tok *token.Token
	// tags are the session tags of the first chained hop, claims included.
	tags       []exchange.Tag
	transitive []string
	// sourceIdentity is the first chained hop's, claims resolved.
	sourceIdentity string
}

// target is one role to assume: the one of --role-arn or an entry of
// --roles.
type target struct {
	// name labels the role of --roles in result lines; "" for --role-arn.
	name     string
	role     exchange.ARN
	region   string
	endpoint string
	duration time.Duration
	prefix   string
	profile  string
}

// assumed is a role session that passed every check.
type assumed struct {
	target  target
	creds   exchange.Credentials
	session exchange.Session
}

func newAssumeRun(cfg *AssumeConfig, env Env) *assumeRun {
	if env.HTTPClient == nil {
		env.HTTPClient = cfg.HTTPClient
	}
	return &assumeRun{cfg: cfg, env: env, log: logging.New(env.Stderr, cfg.Debug)}
}

func runAssume(ctx context.Context, cfg *AssumeConfig, env Env) (err error) {
	r := newAssumeRun(cfg, env)
	if err := r.guardInherited(); err != nil {
		return err
	}
	if err := r.checkStdout(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	// Every file output's folder exists and takes a file before the token
	// is read or STS is called; folders made for a run that then fails go
	// again.
	created, err := r.preflight()
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			atomicfile.RemoveDirs(created)
		}
	}()
	sessions, err := r.assumeAll(ctx)
	if err != nil {
		return err
	}
	if err := r.write(ctx, sessions); err != nil {
		return err
	}
	if len(cfg.Roles) == 0 {
		s := sessions[0]
		r.log.Info(fmt.Sprintf("assumed %s (account %s) until %s, session %q",
			orDefault(s.session.AssumedRoleARN, s.session.RoleARN), s.session.AccountID,
			s.creds.Expiration.UTC().Format(time.RFC3339), s.session.SessionName))
	}
	return nil
}

// checkSessionName refuses a session name made of the job's token
// (session_name: $AWS_OIDC_TOKEN passes the input's regex): STS would keep
// it in CloudTrail, and the log would print it. Only a name that holds a
// part of the token, or a long enough piece of one, counts.
func checkSessionName(cfg *AssumeConfig, raw string) error {
	const minPiece = 16
	for _, name := range []string{cfg.SessionNameGiven, cfg.SessionName} {
		if len(name) < minPiece {
			continue
		}
		for _, part := range strings.Split(raw, ".") {
			if len(part) >= minPiece && (strings.Contains(name, part) || strings.Contains(part, name)) || strings.Contains(raw, name) {
				return &exchange.FieldError{Field: "session-name", Msg: "it holds the job's ID token or a part of it, which STS would keep in CloudTrail; " +
					"name the session after the job instead, such as deploy-$CI_PIPELINE_ID"}
			}
		}
	}
	return nil
}

// assumeAll reads the token and assumes every role; it returns sessions
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
	if r.cfg.SessionNameGiven != "" {
		r.log.Info(fmt.Sprintf("session name %q rewritten to %q to fit STS's rules", r.cfg.SessionNameGiven, r.cfg.SessionName))
	}
	if err := r.sessionTags(); err != nil {
		return nil, err
	}
	if len(r.cfg.Roles) == 0 {
		a, err := r.assumeOne(ctx, r.single(), r.log)
		if err != nil {
			return nil, err
		}
		return []assumed{a}, nil
	}
	return r.assumeMany(ctx)
}

func (r *assumeRun) single() target {
	return target{role: r.cfg.Role, region: r.cfg.Region, endpoint: r.cfg.Endpoint, duration: r.cfg.Duration,
		prefix: r.cfg.Prefix, profile: r.cfg.Profile}
}

// assumeMany runs the roles of --roles concurrently with the one token. One
// line per role says how it went; one failure fails them all.
func (r *assumeRun) assumeMany(ctx context.Context) ([]assumed, error) {
	results := rolesfile.Run(ctx, r.cfg.Roles, r.cfg.MaxParallel, r.env.Now, func(ctx context.Context, ro rolesfile.Role) (assumed, error) {
		t := target{name: ro.Name, role: ro.ARN, region: ro.Region, endpoint: r.cfg.Endpoint, duration: ro.Duration,
			prefix: ro.Prefix, profile: ro.Profile}
		if !r.cfg.EndpointGiven {
			ep, err := exchange.STSEndpoint(ro.Region)
			if err != nil {
				return assumed{}, err
			}
			t.endpoint = ep
		}
		return r.assumeOne(ctx, t, r.log.With("role", ro.Name))
	})
	var sessions []assumed
	var failed []roleFailure
	for _, res := range results {
		took := res.Duration.Round(time.Millisecond)
		if res.Err != nil {
			r.log.Info(fmt.Sprintf("role %q: failed after %s: %v", res.Role.Name, took, res.Err))
			failed = append(failed, roleFailure{Name: res.Role.Name, RoleARN: res.Role.ARN.String(), Err: res.Err})
			continue
		}
		a := res.Value
		to := "prefix " + a.target.prefix
		if a.target.profile != "" {
			to = "profile " + a.target.profile
		}
		r.log.Info(fmt.Sprintf("role %q: assumed %s (account %s) until %s, for %s, in %s", res.Role.Name,
			orDefault(a.session.AssumedRoleARN, a.session.RoleARN), a.session.AccountID,
			a.creds.Expiration.UTC().Format(time.RFC3339), to, took))
		sessions = append(sessions, a)
	}
	if len(failed) > 0 {
		return nil, &RolesError{Failed: failed, Total: len(results)}
	}
	return sessions, nil
}

func (r *assumeRun) token(ctx context.Context) (*token.Token, error) {
	if r.cfg.Token.GitHub {
		if u, err := url.Parse(r.env.Getenv("ACTIONS_ID_TOKEN_REQUEST_URL")); err == nil && u.Host != "" {
			// The host alone: the rest of the URL is GitHub's business.
			r.log.Debug(fmt.Sprintf("GitHub's token endpoint %s: %s", u.Host, httpclient.Describe(r.env.Getenv, u.Scheme+"://"+u.Host)))
		}
	}
	tok, err := loadToken(ctx, r.cfg.Token, r.env)
	if err != nil {
		return nil, err
	}
	if err := checkSessionName(r.cfg, tok.Value()); err != nil {
		return nil, err
	}
	r.logClaims(tok)
	err = token.Check(tok, token.CheckOptions{
		Now:         r.env.Now(),
		Audience:    r.cfg.Token.CheckAudience(),
		MinLifetime: tokenMinLifetime,
		Skew:        tokenSkew,
	})
	if err != nil {
		return nil, &TokenError{Err: err, Platform: r.cfg.Platform, Claims: &tok.Claims}
	}
	if left := tok.Claims.ExpiresAt.Sub(r.env.Now()); left < r.cfg.Timeout {
		r.log.Debug(fmt.Sprintf("the token expires in %s, before the %s deadline", left.Round(time.Second), r.cfg.Timeout))
	}
	return tok, nil
}

// logClaims shows what a trust policy is matched against, folded away in
// CI logs because it is only read when something fails.
func (r *assumeRun) logClaims(tok *token.Token) {
	end := r.cfg.Platform.Section(r.env.Stderr, "aws_oidc_token", "aws-oidc: token claims and request", r.env.Now)
	defer end()
	for _, kv := range tok.Claims.Safe() {
		fmt.Fprintf(r.env.Stderr, "  %-14s %s\n", kv.Key, kv.Value)
	}
	if len(r.cfg.Roles) > 0 {
		fmt.Fprintf(r.env.Stderr, "  %-14s %d from %s, %d at a time\n", "roles", len(r.cfg.Roles), r.cfg.RolesFile, r.cfg.MaxParallel)
	} else {
		fmt.Fprintf(r.env.Stderr, "  %-14s %s\n", "role", r.cfg.Role)
	}
	for i, c := range r.cfg.Chain {
		fmt.Fprintf(r.env.Stderr, "  %-14s %s\n", fmt.Sprintf("chain hop %d", i+1), c)
	}
	if !r.cfg.SourceIdentity.IsZero() {
		fmt.Fprintf(r.env.Stderr, "  %-14s %s\n", "source identity", r.cfg.SourceIdentity)
	}
	fmt.Fprintf(r.env.Stderr, "  %-14s %s\n", "session", r.cfg.SessionName)
	fmt.Fprintf(r.env.Stderr, "  %-14s %s (%s)\n", "sts", r.cfg.Endpoint, r.cfg.Region)
}

// sessionTags adds the token's claims to the tags of the first chained hop,
// now that the claims are known, and checks the whole set again.
func (r *assumeRun) sessionTags() error {
	var fromClaims []exchange.Tag
	if r.cfg.TagsFromClaims {
		var rewritten []string
		fromClaims, rewritten = exchange.ClaimTags(r.tok.Claims)
		if len(rewritten) > 0 {
			r.log.Info(fmt.Sprintf("session tags %s rewritten to fit AWS's tag rules (characters outside letters, digits, spaces and _.:/=+-@ became _, values cut to %d)",
				strings.Join(rewritten, ", "), exchange.MaxTagValue))
		}
	}
	var err error
	r.tags, r.transitive, err = exchange.Tags(r.cfg.Tags, fromClaims, r.cfg.TransitiveTagKeys)
	if err != nil {
		return err
	}
	if !r.cfg.SourceIdentity.IsZero() {
		var rewritten bool
		if r.sourceIdentity, rewritten, err = r.cfg.SourceIdentity.Resolve(r.tok.Claims); err != nil {
			return err
		}
		if rewritten {
			r.log.Info(fmt.Sprintf("source identity from claim %s rewritten to fit STS's rules (2..64 of letters, digits and _+=,.@-)", r.cfg.SourceIdentity.Claim))
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
	retry.MaxAttempts = r.cfg.MaxAttempts
	retry.AttemptTimeout = r.cfg.AttemptTimeout
	retry.Now = r.env.Now
	return retry
}

func (r *assumeRun) stsClient(t target, c *exchange.Credentials) exchangeClient {
	return exchange.NewClient(r.stsOptions(t, c))
}

func (r *assumeRun) stsOptions(t target, c *exchange.Credentials) exchange.ClientOptions {
	return exchange.ClientOptions{Region: t.region, Endpoint: t.endpoint, HTTPClient: r.env.HTTPClient, UserAgent: r.cfg.UserAgent, Credentials: c}
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
func (r *assumeRun) assumeOne(ctx context.Context, t target, log *slog.Logger) (assumed, error) {
	req := exchange.Request{
		RoleARN:     t.role,
		SessionName: r.cfg.SessionName,
		Token:       r.tok.Value(),
		Duration:    t.duration,
		Policy:      r.cfg.Policy,
		PolicyARNs:  r.cfg.PolicyARNs,
		Secrets:     r.env.secrets,
		TokenExpiry: r.tok.Claims.ExpiresAt,
	}
	if len(r.cfg.Chain) > 0 {
		// The first session only signs the next hop; the session policies
		// belong to the session handed out.
		req.Duration, req.Policy, req.PolicyARNs = exchange.FirstHopDuration, "", nil
	}
	log.Debug(fmt.Sprintf("STS %s: %s", t.endpoint, httpclient.Describe(r.env.Getenv, t.endpoint)))
	res, err := exchange.Exchange(ctx, r.stsClient(t, nil), req, r.retry(), log)
	if err != nil {
		return assumed{}, r.explain(err, t.role)
	}

	final := t.role
	if n := len(r.cfg.Chain); n > 0 {
		d, clamped := exchange.ClampDuration(t.duration)
		if clamped {
			log.Warn(fmt.Sprintf("--duration %s clamped to %s: AWS caps role chaining sessions at one hour", t.duration, d))
		}
		res, err = exchange.Chain(ctx, r.stsOptions(t, nil), res, exchange.ChainRequest{
			Roles: r.cfg.Chain, SessionName: r.cfg.SessionName, ExternalID: r.cfg.ExternalID, Duration: d,
			Tags: r.tags, TransitiveTagKeys: r.transitive, Policy: r.cfg.Policy, PolicyARNs: r.cfg.PolicyARNs,
			SourceIdentity: r.sourceIdentity,
			Secrets:        r.env.secrets,
		}, r.retry(), log)
		if err != nil {
			return assumed{}, err
		}
		final = r.cfg.Chain[n-1]
	}

	a := assumed{target: t, creds: res.Credentials, session: exchange.Session{
		RoleARN:        final.String(),
		AssumedRoleARN: res.AssumedRoleARN,
		AccountID:      final.AccountID,
		SessionName:    r.cfg.SessionName,
		Region:         t.region,
	}}
	if len(r.cfg.AllowedAccounts) > 0 {
		// Checked from what STS answered, not from what we asked for, so it
		// holds where GetCallerIdentity is missing.
		account, what := exchange.AccountFromAssumedRole(res.AssumedRoleARN), res.AssumedRoleARN
		if account == "" {
			account, what = final.AccountID, final.String()
		}
		if err := allowAccount(r.cfg.AllowedAccounts, account, what); err != nil {
			return assumed{}, err
		}
	}
	if r.cfg.Verify {
		if err := r.verify(ctx, t, a.creds, &a.session, log); err != nil {
			return assumed{}, err
		}
	}
	if r.cfg.CheckS3 != nil {
		if err := r.checkS3(ctx, t, a.creds, final.Partition, log); err != nil {
			return assumed{}, err
		}
	}
	return a, nil
}

// explain attaches what the token said to an STS refusal, for the hint.
func (r *assumeRun) explain(err error, arn exchange.ARN) error {
	return &STSError{Err: err, Claims: &r.tok.Claims, RoleARN: arn.String()}
}

func (r *assumeRun) verify(ctx context.Context, t target, c exchange.Credentials, s *exchange.Session, log *slog.Logger) error {
	id, err := exchange.Verify(ctx, r.stsClient(t, &c), r.retry(), log, r.env.secrets)
	if err != nil {
		return &VerifyError{Err: err}
	}
	if id.Account != "" && id.Account != s.AccountID {
		return &VerifyError{Account: id.Account, Want: s.AccountID}
	}
	if id.ARN != "" {
		s.AssumedRoleARN = id.ARN
	}
	log.Info(fmt.Sprintf("verified: caller is %s (account %s)", id.ARN, id.Account))
	return nil
}

func (r *assumeRun) checkS3(ctx context.Context, t target, c exchange.Credentials, partition string, log *slog.Logger) error {
	client := s3check.NewClient(exchange.ClientOptions{Region: t.region, Endpoint: r.cfg.S3Endpoint, HTTPClient: r.env.HTTPClient,
		Credentials: &c, UserAgent: r.cfg.UserAgent})
	n, err := s3check.Check(ctx, client, *r.cfg.CheckS3, partition, r.retry(), log)
	if err != nil {
		var be *s3check.Error
		if errors.As(err, &be) {
			return &checkS3Error{err: be}
		}
		return err
	}
	log.Info(fmt.Sprintf("checked %s: HeadBucket and ListObjectsV2 allowed (%d key seen)", r.cfg.CheckS3, n))
	return nil
}

// filePaths are the outputs' own files, for preflight and the lock; ""
// and nil for those the run does not write.
func (r *assumeRun) filePaths() (dotenv, tokenFile string, profiles []string) {
	if r.has(formatDotenv) && r.hasVars() {
		dotenv = r.cfg.DotenvFile
	}
	if r.has(formatTokenFile) {
		tokenFile = r.cfg.TokenOutputFile
	}
	if r.hasProfiles() {
		profiles = r.cfg.AWSFiles.Paths()
	}
	return dotenv, tokenFile, profiles
}

// foreignDotenvKeys are the variables of vars already in the dotenv file
// existing whose prefix's credentials (key id, secret key, session token)
// are not all there: someone else set them (a hand-written AWS_REGION).
func foreignDotenvKeys(existing []byte, vars []output.Var) []string {
	old, err := output.ParseDotenv(existing)
	if err != nil || len(old) == 0 {
		return nil
	}
	there := map[string]bool{}
	for _, v := range old {
		there[v.Key] = true
	}
	var foreign []string
	for _, v := range vars {
		p, ok := strings.CutSuffix(v.Key, output.KeyAccessKeyID)
		if !ok || there[p+output.KeyAccessKeyID] && there[p+output.KeySecretAccessKey] && there[p+output.KeySessionToken] {
			continue
		}
		for _, k := range []string{output.KeyAccessKeyID, output.KeySecretAccessKey, output.KeySessionToken,
			output.KeyRegion, output.KeyDefaultRegion, output.KeyCredentialExpiration} {
			if there[p+k] {
				foreign = append(foreign, p+k)
			}
		}
	}
	return foreign
}

// profileNames are the profiles the run writes.
func (r *assumeRun) profileNames() []string {
	if len(r.cfg.Roles) == 0 {
		return []string{r.cfg.Profile}
	}
	var names []string
	for _, ro := range r.cfg.Roles {
		if ro.Profile != "" {
			names = append(names, ro.Profile)
		}
	}
	return names
}

// hasProfiles reports whether any role goes to a profile.
func (r *assumeRun) hasProfiles() bool {
	if len(r.cfg.Roles) == 0 {
		return r.cfg.Profile != ""
	}
	return slices.ContainsFunc(r.cfg.Roles, func(ro rolesfile.Role) bool { return ro.Profile != "" })
}

// preflight makes the folder of every file output (0700, each missing
// level) and checks that the file can be written there, and checks that
// GitHub's command files take lines, all before anything else happens. It
// returns the folders it made, for a failed run to remove.
func (r *assumeRun) preflight() (created []string, err error) {
	defer func() {
		if err != nil {
			atomicfile.RemoveDirs(created)
			created = nil
		}
	}()
	dotenv, tokenFile, profiles := r.filePaths()
	if err := r.checkDistinct(dotenv, tokenFile, profiles); err != nil {
		return nil, err
	}
	check := func(path, format string) error {
		if path == "" {
			return nil
		}
		dirs, err := atomicfile.MakeParents(path)
		created = append(created, dirs...)
		if err == nil {
			err = atomicfile.CheckWritable(path)
		}
		if err != nil {
			return &output.Error{Format: format, Err: err}
		}
		return nil
	}
	if err := check(dotenv, formatDotenv); err != nil {
		return created, err
	}
	if dotenv != "" {
		// An existing file too large or not a GitLab dotenv report is
		// refused now, not after STS minted credentials for nothing.
		limits := output.DefaultDotenvLimits()
		limits.MaxVars = r.cfg.DotenvMaxVariables
		if _, err := output.PrepareDotenv(dotenv, nil, limits); err != nil {
			return created, &output.Error{Format: formatDotenv, Err: err}
		}
	}
	if err := check(tokenFile, formatTokenFile); err != nil {
		return created, err
	}
	if tokenFile != "" {
		if err := checkTokenOutputFile(tokenFile); err != nil {
			return created, err
		}
	}
	for _, p := range profiles {
		if err := check(p, "profile"); err != nil {
			return created, err
		}
	}
	if len(profiles) > 0 {
		// A profile's section that aws-oidc did not write (a person's
		// static keys) is refused now, before STS, not after.
		if _, err := awsconfig.PrepareRemove(r.cfg.AWSFiles, r.profileNames()); err != nil {
			return created, &output.Error{Format: "profile", Err: err}
		}
	}
	if r.has(formatGitHub) {
		single := len(r.cfg.Roles) == 0 && r.hasVars()
		if err := output.CheckGitHubFiles(r.env.Getenv, r.hasVars(), single && !r.has(formatTokenFile)); err != nil {
			return created, &output.Error{Format: formatGitHub, Err: err}
		}
	}
	return created, nil
}

// checkDistinct refuses two file outputs that are one file (issue 14
// review: --aws-config-file f --aws-credentials-file ./f lost one with
// exit 0).
func (r *assumeRun) checkDistinct(dotenv, tokenFile string, profiles []string) error {
	files := []atomicfile.Named{{By: "--dotenv-file", Path: dotenv}, {By: "--token-output-file", Path: tokenFile}}
	if len(profiles) > 0 {
		files = append(files, atomicfile.Named{By: "--aws-config-file", Path: r.cfg.AWSFiles.Config},
			atomicfile.Named{By: "--aws-credentials-file", Path: r.cfg.AWSFiles.Credentials})
	}
	if r.has(formatGitHub) {
		if r.hasVars() {
			files = append(files, atomicfile.Named{By: "GITHUB_ENV", Path: r.env.Getenv("GITHUB_ENV"), Append: true})
		}
		if len(r.cfg.Roles) == 0 && r.hasVars() && !r.has(formatTokenFile) {
			files = append(files, atomicfile.Named{By: "GITHUB_OUTPUT", Path: r.env.Getenv("GITHUB_OUTPUT"), Append: true})
		}
	}
	if err := atomicfile.CheckDistinct(files...); err != nil {
		return &output.Error{Format: "file", Err: err}
	}
	return nil
}

// profileAndVars reports whether the one role goes to its --profile and,
// because --output asks for them, to the outputs too.
func (r *assumeRun) profileAndVars() bool {
	return len(r.cfg.Roles) == 0 && r.cfg.Profile != "" && len(r.cfg.Outputs) > 0
}

// hasVars reports whether any role hands its credentials on as variables.
func (r *assumeRun) hasVars() bool {
	if len(r.cfg.Roles) == 0 {
		return r.cfg.Profile == "" || r.profileAndVars()
	}
	return slices.ContainsFunc(r.cfg.Roles, func(ro rolesfile.Role) bool { return ro.Profile == "" })
}

// write builds the run's outputs (output.Set) and commits them: every
// output is prepared and checked in full before any is written, the files
// first, stdout last, and a late failure puts back those already written.
// The folders of the files are locked from the first read to the last
// write, so that runs sharing a dotenv or AWS config file take turns.
func (r *assumeRun) write(ctx context.Context, sessions []assumed) error {
	vars, profiles := r.collect(sessions)
	if len(vars) == 0 && slices.ContainsFunc(r.cfg.Outputs, func(f string) bool { return f != formatJSON }) {
		r.log.Info(fmt.Sprintf("no variables for --output %s: every role went to a profile", strings.Join(r.cfg.Outputs, ",")))
	}
	set := output.NewSet(r.log)
	stdout, err := output.Render(r.print(vars, sessions), vars)
	if err != nil {
		return err
	}
	set.Print(stdout)

	dotenvPath, tokenPath, profilePaths := r.filePaths()
	unlock, err := set.Lock(ctx, append([]string{dotenvPath, tokenPath}, profilePaths...)...)
	if err != nil {
		return err
	}
	defer unlock()
	if err := r.prepare(set, vars, profiles, sessions); err != nil {
		return err
	}
	return set.Commit(r.env.Stdout)
}

// prepare adds each file output to set, read, merged and checked.
func (r *assumeRun) prepare(set *output.Set, vars []output.Var, profiles []awsconfig.Profile, sessions []assumed) error {
	if r.has(formatDotenv) && len(vars) > 0 {
		limits := output.DefaultDotenvLimits()
		limits.MaxVars = r.cfg.DotenvMaxVariables
		p, err := output.PrepareDotenv(r.cfg.DotenvFile, vars, limits)
		if err != nil {
			return &output.Error{Format: formatDotenv, Err: err}
		}
		if foreign := foreignDotenvKeys(p.Old, vars); len(foreign) > 0 {
			r.log.Warn(fmt.Sprintf("%s held %s, which aws-oidc did not write (no credentials of a run beside them): they are replaced, and `aws-oidc cleanup` will remove them with the run's variables",
				r.cfg.DotenvFile, strings.Join(foreign, ", ")))
		}
		set.Add(output.Step{Format: formatDotenv, Commit: p.Commit, Undo: func() { _ = p.Undo() },
			Done: fmt.Sprintf("wrote %d variables to %s", len(vars), r.cfg.DotenvFile)})
	}
	if r.has(formatTokenFile) {
		p, err := prepareTokenFile(r.cfg.TokenOutputFile, r.tok.Value())
		if err != nil {
			return &output.Error{Format: formatTokenFile, Err: err}
		}
		set.Add(output.Step{Format: formatTokenFile, Commit: p.Commit, Undo: func() { _ = p.Undo() },
			Done: fmt.Sprintf("wrote the job's token to %s: AWS SDKs and the AWS CLI assume %s with it themselves, refreshing as needed, until the token expires at %s (keep this in the job: the token is job-scoped)",
				r.cfg.TokenOutputFile, sessions[0].session.RoleARN, r.tok.Claims.ExpiresAt.UTC().Format(time.RFC3339))})
	}
	if len(profiles) > 0 {
		p, err := awsconfig.Prepare(r.cfg.AWSFiles, profiles)
		if err != nil {
			return &output.Error{Format: "profile", Err: err}
		}
		names := make([]string, len(profiles))
		for i, pr := range profiles {
			names[i] = pr.Name
		}
		files := r.cfg.AWSFiles
		set.Add(output.Step{Format: "profile", Commit: p.Write, Undo: p.Undo,
			Done: fmt.Sprintf("wrote profiles %s to %s and %s: use AWS_CONFIG_FILE=%s AWS_SHARED_CREDENTIALS_FILE=%s aws --profile %s ...",
				strings.Join(names, ", "), files.Config, files.Credentials, files.Config, files.Credentials, names[0])})
	}
	if r.has(formatGitHub) && len(vars) > 0 {
		var outs map[string]string
		if len(sessions) == 1 && !r.has(formatTokenFile) {
			outs = output.GitHubOutputs(sessions[0].creds, sessions[0].session)
		}
		p, err := output.PrepareGitHub(r.env.Getenv, vars, outs)
		if err != nil {
			return &output.Error{Format: formatGitHub, Err: err}
		}
		masks, err := p.Masks()
		if err != nil {
			return &output.Error{Format: formatGitHub, Err: err}
		}
		set.PrintFirst(masks)
		set.Add(output.Step{Format: formatGitHub, Commit: p.Commit, Undo: p.Undo})
	}
	return nil
}

// checkStdout refuses a closed stdout (`>&-`) before anything happens when
// an output goes there.
func (r *assumeRun) checkStdout() error {
	if !slices.ContainsFunc(r.cfg.Outputs, func(o string) bool {
		return o == formatShell || o == formatJSON || o == formatPowerShell || o == formatGitHub || o == formatTokenFile
	}) {
		return nil
	}
	return output.CheckStdout(r.env.Stdout)
}

func (r *assumeRun) has(format string) bool { return slices.Contains(r.cfg.Outputs, format) }

// collect sorts the sessions into variables and profiles.
func (r *assumeRun) collect(sessions []assumed) ([]output.Var, []awsconfig.Profile) {
	var vars []output.Var
	var profiles []awsconfig.Profile
	for _, a := range sessions {
		switch {
		case a.target.profile != "":
			profiles = append(profiles, awsconfig.Profile{Name: a.target.profile, Region: a.target.region, Credentials: a.creds})
			if r.profileAndVars() {
				vars = append(vars, output.Variables(a.target.prefix, a.creds, a.session)...)
			}
		case r.has(formatTokenFile):
			vars = append(vars, r.tokenFileVars(a)...)
		default:
			vars = append(vars, output.Variables(a.target.prefix, a.creds, a.session)...)
		}
	}
	return vars, profiles
}

// print says what goes to stdout: shell exports or PowerShell
// assignments, and the credential_process document. token-file prints
// exports too (PowerShell's with --output powershell), unless GitHub takes
// them.
func (r *assumeRun) print(vars []output.Var, sessions []assumed) output.Print {
	p := output.Print{
		Shell:        r.has(formatShell) || (r.has(formatTokenFile) && !r.has(formatGitHub) && !r.has(formatPowerShell)),
		PowerShell:   r.has(formatPowerShell),
		UnsetProfile: r.unsetsProfile(vars),
	}
	if r.has(formatJSON) {
		p.JSON = &sessions[0].creds
	}
	return p
}

// unsetsProfile reports whether the shell and PowerShell outputs also
// remove AWS_PROFILE: it is set in this environment (a CI/CD variable, say)
// and the outputs export unprefixed credentials, which the AWS CLI and SDKs
// would otherwise pass over for that profile, or fail on when the profile
// does not exist where the exports are evaluated.
func (r *assumeRun) unsetsProfile(vars []output.Var) bool {
	if r.env.Getenv("AWS_PROFILE") == "" {
		return false
	}
	return slices.ContainsFunc(vars, func(v output.Var) bool { return v.Key == output.KeyAccessKeyID })
}

// maxTokenOutputBytes bounds what is read of an existing token output file
// to put it back: a token is at most 20000 characters.
const maxTokenOutputBytes = 64 << 10

// prepareTokenFile checks the token output file's path and keeps its
// current content for Undo.
func prepareTokenFile(path, tok string) (*atomicfile.Replacement, error) {
	if err := checkTokenOutputFile(path); err != nil {
		return nil, err
	}
	old, existed, err := atomicfile.ReadExisting(path, maxTokenOutputBytes)
	if err != nil {
		return nil, err
	}
	return &atomicfile.Replacement{Path: path, Data: []byte(tok), Perm: tokenFileMode, Old: old, Existed: existed}, nil
}

// tokenFileVars are what AWS SDKs and the CLI read to assume a role with a
// web identity token file themselves.
func (r *assumeRun) tokenFileVars(a assumed) []output.Var {
	path := r.cfg.TokenOutputFile
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	p := a.target.prefix
	vars := []output.Var{
		{Key: p + "AWS_WEB_IDENTITY_TOKEN_FILE", Value: path},
		{Key: p + "AWS_ROLE_ARN", Value: a.session.RoleARN},
		{Key: p + "AWS_ROLE_SESSION_NAME", Value: a.session.SessionName},
		{Key: p + output.KeyRegion, Value: a.session.Region},
		{Key: p + output.KeyDefaultRegion, Value: a.session.Region},
	}
	if r.cfg.EndpointGiven {
		// SDKs that know service endpoints then call the same STS.
		vars = append(vars, output.Var{Key: p + "AWS_ENDPOINT_URL_STS", Value: a.target.endpoint})
	}
	return vars
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
