package exchange

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
)

// IdentityClient is the STS operation that proves credentials work.
type IdentityClient interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, opts ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// Identity is who the credentials are.
type Identity struct {
	ARN     string
	Account string
	UserID  string
}

// Verify calls GetCallerIdentity with the retry rule of Exchange: the same
// jobs that made STS busy for the exchange ask it right after, within the
// same overall deadline (ctx's). A failure is an *Error like the
// exchange's, scrubbed of every secret of the run (a server may echo the
// credentials it was called with), so it exits the same way: 4 refused, 5
// transient. An answer whose fields hold a control character or a secret
// is refused as CodeBadResponse.
func Verify(ctx context.Context, client IdentityClient, retry Retry, log *slog.Logger, secrets *logging.Secrets) (Identity, error) {
	var out *sts.GetCallerIdentityOutput
	attempts, err := retry.Run(ctx, log, opCallerIdentity, func(ctx context.Context) error {
		var err error
		out, err = client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		return err
	})
	if err != nil {
		return Identity{}, scrubError(err, secrets)
	}
	id := Identity{ARN: aws.ToString(out.Arn), Account: aws.ToString(out.Account), UserID: aws.ToString(out.UserId)}
	for _, f := range [][2]string{{"Arn", id.ARN}, {"Account", id.Account}, {"UserId", id.UserID}} {
		bad := ""
		switch {
		case strings.ContainsFunc(f[1], unicode.IsControl):
			bad = "holds a control character"
		case secrets.Holds(f[1]):
			bad = "holds a secret of this run (a token or a credential): the server echoes what it should keep"
		}
		if bad != "" {
			return Identity{}, &Error{Op: opCallerIdentity, Code: CodeBadResponse, Message: fmt.Sprintf("the answer's %s %s", f[0], bad), Class: Permanent, Attempts: attempts}
		}
	}
	return id, nil
}

const opCallerIdentity = "GetCallerIdentity"
