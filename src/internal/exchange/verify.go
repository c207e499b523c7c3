package exchange

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/credentials"
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

// StaticCredentials signs requests with credentials from an exchange.
func StaticCredentials(c credentials.Credentials) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{
			AccessKeyID:     c.AccessKeyID,
			SecretAccessKey: c.SecretAccessKey,
			SessionToken:    c.SessionToken,
			Source:          "aws-oidc",
			CanExpire:       true,
			Expires:         c.Expiration,
		}, nil
	})
}

// Verify calls GetCallerIdentity once, within timeout.
func Verify(ctx context.Context, client IdentityClient, timeout time.Duration) (Identity, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		code, _ := Classify(err)
		return Identity{}, fmt.Errorf("sts GetCallerIdentity failed: %s: %w", code, err)
	}
	return Identity{ARN: aws.ToString(out.Arn), Account: aws.ToString(out.Account), UserID: aws.ToString(out.UserId)}, nil
}
