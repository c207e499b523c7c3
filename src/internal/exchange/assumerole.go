package exchange

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
)

// RoleClient is the STS operation of a chained hop. Its requests are signed
// with the credentials of the hop before.
type RoleClient interface {
	AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, opts ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

// RoleRequest is one chained role session to ask for.
type RoleRequest struct {
	RoleARN     ARN
	SessionName string
	// ExternalID is sent when set; the role's trust policy decides whether
	// it must be.
	ExternalID        string
	Duration          time.Duration
	Tags              []Tag
	TransitiveTagKeys []string
	Policy            string
	PolicyARNs        []string
	// SourceIdentity is sent when set; the role's trust policy must then
	// allow sts:SetSourceIdentity.
	SourceIdentity string
	// Secrets is every secret of the run, as in Request.
	Secrets *logging.Secrets
}

// AssumeRole calls STS AssumeRole with the retry rule of Exchange. It is the
// second and every later hop of a role chain.
func AssumeRole(ctx context.Context, client RoleClient, req RoleRequest, retry Retry, log *slog.Logger) (Result, error) {
	in := &sts.AssumeRoleInput{
		RoleArn:           aws.String(req.RoleARN.String()),
		RoleSessionName:   aws.String(req.SessionName),
		DurationSeconds:   durationSeconds(req.Duration),
		ExternalId:        optional(req.ExternalID),
		TransitiveTagKeys: append([]string(nil), req.TransitiveTagKeys...),
		SourceIdentity:    optional(req.SourceIdentity),
		Policy:            optional(req.Policy),
		PolicyArns:        policyDescriptors(req.PolicyARNs),
	}
	for _, t := range req.Tags {
		in.Tags = append(in.Tags, types.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)})
	}
	op := roleOp{name: opAssumeRole, duration: req.Duration, secrets: req.Secrets}
	return op.run(ctx, retry, log, func(ctx context.Context) (answer, error) {
		out, err := client.AssumeRole(ctx, in)
		if out == nil {
			return answer{}, err
		}
		return answer{creds: out.Credentials, user: out.AssumedRoleUser, tokenUtilization: out.SessionTokenUtilization, metadata: out.ResultMetadata}, err
	})
}
