package cli

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/sethvargo/go-githubactions"
	"github.com/urfave/cli/v2"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/credentials"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/output"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
)

// Token checks before the network. The skew allows for runner clocks that
// drift from the instance's; the minimum lifetime keeps a token that would
// expire on the way to STS from being sent at all.
const (
	tokenSkew        = 2 * time.Minute
	tokenMinLifetime = 5 * time.Second
)

func assumeCommand(env Env) *cli.Command {
	return &cli.Command{
		Name:    "assume",
		Aliases: []string{"assume-role"},
		Usage:   "exchange the job's ID token for AWS credentials and write them out",
		Description: "Reads the job's OIDC ID token, checks it, calls STS AssumeRoleWithWebIdentity with classified " +
			"retries, and writes the credentials as a GitLab dotenv report, to GITHUB_ENV, or as shell export lines.\n\n" +
			"Exit codes: 0 success, 2 invalid input or configuration, 3 token problem, 4 STS refused, " +
			"5 transient failure after all attempts, 1 anything else.",
		Flags: flags(assumeFlags),
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return &UsageError{Err: err}
		},
		Action: func(c *cli.Context) error {
			cfg, err := parseAssume(c, env)
			if err != nil {
				return err
			}
			return runAssume(c.Context, cfg, env)
		},
	}
}

// assumeRun carries one run of `assume` through its steps, so every failure
// can be explained with what was learnt before it.
type assumeRun struct {
	cfg *AssumeConfig
	env Env
	log *slog.Logger
	tok *token.Token
}

func runAssume(ctx context.Context, cfg *AssumeConfig, env Env) error {
	r := &assumeRun{cfg: cfg, env: env, log: logging.New(env.Stderr, cfg.Debug)}
	if cfg.SessionNameGiven != "" {
		r.log.Info(fmt.Sprintf("session name %q rewritten to %q to fit STS's rules", cfg.SessionNameGiven, cfg.SessionName))
	}

	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()

	tok, err := r.token(ctx)
	if err != nil {
		return err
	}
	r.tok = tok

	res, err := r.exchange(ctx)
	if err != nil {
		return r.explain(err)
	}
	session := credentials.Session{
		RoleARN:        cfg.Role.String(),
		AssumedRoleARN: res.AssumedRoleARN,
		AccountID:      cfg.Role.AccountID,
		SessionName:    cfg.SessionName,
		Region:         cfg.Region,
	}
	if cfg.Verify {
		if err := r.verify(ctx, res.Credentials, &session); err != nil {
			return err
		}
	}
	if err := r.write(res.Credentials, session); err != nil {
		return err
	}
	r.log.Info(fmt.Sprintf("assumed %s (account %s) until %s, session %q",
		orDefault(session.AssumedRoleARN, session.RoleARN), session.AccountID,
		res.Credentials.Expiration.UTC().Format(time.RFC3339), session.SessionName))
	return nil
}

func (r *assumeRun) token(ctx context.Context) (*token.Token, error) {
	src := r.tokenSource()
	raw, err := src.Token(ctx)
	if err != nil {
		return nil, &TokenError{Err: err, Platform: r.cfg.Platform}
	}
	tok, err := token.Parse(raw)
	if err != nil {
		return nil, &TokenError{Err: err, Platform: r.cfg.Platform}
	}
	audience := r.cfg.Audience
	if r.cfg.GitHubToken {
		audience = "" // requested for that audience: GitHub put it there
	}
	r.logClaims(tok)
	err = token.Check(tok, token.CheckOptions{
		Now:         r.env.Now(),
		Audience:    audience,
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

func (r *assumeRun) tokenSource() token.Source {
	switch {
	case r.cfg.TokenFile != "":
		return token.FileSource{Path: r.cfg.TokenFile}
	case r.cfg.GitHubToken:
		return token.NewGitHubSource(r.env.Getenv, r.env.HTTPClient, r.cfg.Audience)
	default:
		return token.EnvSource{Names: r.cfg.TokenEnvs, Getenv: r.env.Getenv}
	}
}

// logClaims shows what a trust policy is matched against, folded away in
// CI logs because it is only read when something fails.
func (r *assumeRun) logClaims(tok *token.Token) {
	end := r.cfg.Platform.Section(r.env.Stderr, "aws_oidc_token", "aws-oidc: token claims and request", r.env.Now)
	defer end()
	for _, kv := range tok.Claims.Safe() {
		fmt.Fprintf(r.env.Stderr, "  %-14s %s\n", kv.Key, kv.Value)
	}
	fmt.Fprintf(r.env.Stderr, "  %-14s %s\n", "role", r.cfg.Role)
	fmt.Fprintf(r.env.Stderr, "  %-14s %s\n", "session", r.cfg.SessionName)
	fmt.Fprintf(r.env.Stderr, "  %-14s %s (%s)\n", "sts", r.cfg.Endpoint, r.cfg.Region)
}

func (r *assumeRun) exchange(ctx context.Context) (exchange.Result, error) {
	client := exchange.NewClient(exchange.ClientOptions{
		Region:     r.cfg.Region,
		Endpoint:   r.cfg.Endpoint,
		HTTPClient: r.env.HTTPClient,
	})
	retry := exchange.DefaultRetry()
	retry.MaxAttempts = r.cfg.MaxAttempts
	retry.AttemptTimeout = r.cfg.AttemptTimeout
	return exchange.Exchange(ctx, client, exchange.Request{
		RoleARN:     r.cfg.Role.String(),
		SessionName: r.cfg.SessionName,
		Token:       r.tok.Value(),
		Duration:    r.cfg.Duration,
		Policy:      r.cfg.Policy,
		PolicyARNs:  r.cfg.PolicyARNs,
	}, retry, r.log)
}

// explain attaches what the token said to an STS refusal, for the hint.
func (r *assumeRun) explain(err error) error {
	return &STSError{Err: err, Claims: &r.tok.Claims, RoleARN: r.cfg.Role.String()}
}

func (r *assumeRun) verify(ctx context.Context, c credentials.Credentials, s *credentials.Session) error {
	client := exchange.NewClient(exchange.ClientOptions{
		Region:      r.cfg.Region,
		Endpoint:    r.cfg.Endpoint,
		HTTPClient:  r.env.HTTPClient,
		Credentials: exchange.StaticCredentials(c),
	})
	id, err := exchange.Verify(ctx, client, r.cfg.AttemptTimeout)
	if err != nil {
		return fmt.Errorf("failed to verify the new credentials: %w", err)
	}
	if id.Account != "" && id.Account != s.AccountID {
		return fmt.Errorf("failed to verify the new credentials: they belong to account %s, not %s", id.Account, s.AccountID)
	}
	if id.ARN != "" {
		s.AssumedRoleARN = id.ARN
	}
	r.log.Info(fmt.Sprintf("verified: caller is %s (account %s)", id.ARN, id.Account))
	return nil
}

// write renders every output before it writes any, so a failing format
// leaves nothing behind; the dotenv file goes first because it is the one
// whose checks can fail on content (size, variable count).
func (r *assumeRun) write(c credentials.Credentials, s credentials.Session) error {
	vars := output.Variables(r.cfg.Prefix, c, s)
	var stdout bytes.Buffer
	for _, format := range r.cfg.Outputs {
		var err error
		switch format {
		case formatShell:
			err = output.WriteShell(&stdout, vars)
		case formatJSON:
			err = output.WriteJSON(&stdout, c)
		}
		if err != nil {
			return &OutputError{Format: format, Err: err}
		}
	}
	for _, format := range r.cfg.Outputs {
		var err error
		switch format {
		case formatDotenv:
			limits := output.DefaultDotenvLimits()
			limits.MaxVars = r.cfg.DotenvMaxVariables
			err = output.WriteDotenv(r.cfg.DotenvFile, vars, limits)
			if err == nil {
				r.log.Info(fmt.Sprintf("wrote %d variables to %s", len(vars), r.cfg.DotenvFile))
			}
		case formatGitHub:
			a := githubactions.New(githubactions.WithGetenv(r.env.Getenv), githubactions.WithWriter(r.env.Stdout))
			err = output.WriteGitHub(a, vars, output.GitHubOutputs(c, s))
		}
		if err != nil {
			return &OutputError{Format: format, Err: err}
		}
	}
	_, err := r.env.Stdout.Write(stdout.Bytes())
	return err
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
