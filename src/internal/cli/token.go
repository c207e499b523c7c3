package cli

import (
	"context"
	"fmt"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/ci"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/httpclient"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
)

// pickToken reads the token flags and applies token.Choose, the one rule
// every command (assume, exec, claims, doctor, trust-policy --check) uses.
// region is the STS region the token is meant for: on GitHub its partition
// picks the audience requested.
func pickToken(l lookup, getenv func(string) string, platform ci.Platform, region string) (token.Pick, error) {
	s := token.Settings{Platform: platform, GitHubAudience: exchange.Audience(region), Getenv: getenv}
	s.Audience, _ = l.String("audience")
	s.Env, _ = l.String("token-env")
	s.File, s.FileFrom = l.String("token-file")
	if s.FileFrom != "--token-file" && s.Env != "" && !ci.IsVariableName(s.Env) {
		return token.Pick{}, &InputError{Field: "token-env", Msg: fmt.Sprintf("%q is not a variable name", s.Env)}
	}
	return token.Choose(s), nil
}

// loadToken reads the job's token from the source picked and decodes it.
// It does not check expiry or audience: each command decides what those
// mean for it.
func loadToken(ctx context.Context, pick token.Pick, env Env) (*token.Token, error) {
	raw, err := pick.Source(env.HTTPClient).Token(ctx)
	if err != nil {
		return nil, &TokenError{Err: err, Platform: pick.Platform, IgnoredFile: pick.IgnoredFile}
	}
	// Before anything can fail on it: the token and each of its parts are
	// scrubbed from everything printed from now on.
	env.secrets.AddToken(raw)
	tok, err := token.Parse(raw)
	if err != nil {
		return nil, &TokenError{Err: err, Platform: pick.Platform}
	}
	return tok, nil
}

// readToken reads and decodes the job's token as assume does, for the
// diagnosis commands, which have no HTTP client of their own: GitHub's
// endpoint is reached through the environment's proxy, trusting the
// system's roots. It returns the pick for the audience and the hints.
func readToken(ctx context.Context, l lookup, env Env, region string) (*token.Token, token.Pick, error) {
	pick, err := pickToken(l, env.Getenv, ci.Detect(env.Getenv), region)
	if err != nil {
		return nil, pick, err
	}
	if env.HTTPClient == nil {
		if pick.GitHub {
			if err := httpclient.CheckProxy(env.Getenv); err != nil {
				return nil, pick, err
			}
		}
		// The system's roots by our bounded reader (SSL_CERT_FILE may
		// name a pipe), not crypto/x509's at the first handshake.
		roots, err := httpclient.Roots(ctx, env.Getenv, "")
		if err != nil {
			return nil, pick, err
		}
		env.HTTPClient = httpclient.NewWithRoots(env.Getenv, roots)
	}
	tok, err := loadToken(ctx, pick, env)
	return tok, pick, err
}
