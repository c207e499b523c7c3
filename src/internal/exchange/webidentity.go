// The web identity exchange: AssumeRoleWithWebIdentity, the first session
// of every run.

package exchange

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
)

// Client is the one STS operation the exchange needs.
type Client interface {
	AssumeRoleWithWebIdentity(ctx context.Context, in *sts.AssumeRoleWithWebIdentityInput, opts ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error)
}

// Request is one role session to ask for.
type Request struct {
	RoleARN     ARN
	SessionName string
	// Token is the raw web identity token. It is a secret: it is sent to STS
	// and nowhere else, and scrubbed from every error.
	Token      string
	Duration   time.Duration
	Policy     string
	PolicyARNs []string
	// Secrets is every secret of the run: the new session's join it as soon
	// as STS answers, and every error is scrubbed of all of them. Nil
	// scrubs the token alone.
	Secrets *logging.Secrets
	// TokenExpiry is the token's "exp" (zero: unknown). Retries stop
	// TokenMargin before it: STS refuses an expired token, so waiting on a
	// busy STS past it cannot succeed.
	TokenExpiry time.Time
}

// Exchange calls AssumeRoleWithWebIdentity until it succeeds, a permanent
// error comes back, the attempts run out or ctx ends. ctx carries the overall
// deadline. log receives one line per failed attempt.
func Exchange(ctx context.Context, client Client, req Request, retry Retry, log *slog.Logger) (Result, error) {
	in := &sts.AssumeRoleWithWebIdentityInput{
		RoleArn:          aws.String(req.RoleARN.String()),
		RoleSessionName:  aws.String(req.SessionName),
		WebIdentityToken: aws.String(req.Token),
		DurationSeconds:  durationSeconds(req.Duration),
		Policy:           optional(req.Policy),
		PolicyArns:       policyDescriptors(req.PolicyARNs),
	}
	secrets := req.Secrets
	if secrets == nil {
		secrets = logging.NewSecrets()
	}
	secrets.AddToken(req.Token)
	op := roleOp{name: opWebIdentity, token: req.Token, tokenEnd: req.TokenExpiry, duration: req.Duration, secrets: secrets}
	return op.run(ctx, retry, log, func(ctx context.Context) (answer, error) {
		out, err := client.AssumeRoleWithWebIdentity(ctx, in)
		if out == nil {
			return answer{}, err
		}
		return answer{creds: out.Credentials, user: out.AssumedRoleUser, tokenUtilization: out.SessionTokenUtilization, metadata: out.ResultMetadata,
			subject: aws.ToString(out.SubjectFromWebIdentityToken), audience: aws.ToString(out.Audience), provider: aws.ToString(out.Provider)}, err
	})
}
