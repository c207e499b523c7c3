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

// Tag is one session tag.
type Tag struct {
	Key   string
	Value string
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
		RoleArn:         aws.String(req.RoleARN.String()),
		RoleSessionName: aws.String(req.SessionName),
	}
	if req.Duration > 0 {
		in.DurationSeconds = aws.Int32(int32(req.Duration / time.Second))
	}
	if req.ExternalID != "" {
		in.ExternalId = aws.String(req.ExternalID)
	}
	for _, t := range req.Tags {
		in.Tags = append(in.Tags, types.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)})
	}
	in.TransitiveTagKeys = append(in.TransitiveTagKeys, req.TransitiveTagKeys...)
	if req.SourceIdentity != "" {
		in.SourceIdentity = aws.String(req.SourceIdentity)
	}
	if req.Policy != "" {
		in.Policy = aws.String(req.Policy)
	}
	for _, arn := range req.PolicyARNs {
		in.PolicyArns = append(in.PolicyArns, stsPolicyARN(arn))
	}

	var out *sts.AssumeRoleOutput
	attempts, err := withRetries(ctx, retry, log, opAssumeRole, "", time.Time{}, func(ctx context.Context) error {
		var err error
		out, err = client.AssumeRole(ctx, in)
		return err
	})
	if err != nil {
		return Result{}, scrubError(err, req.Secrets)
	}
	if out == nil {
		out = &sts.AssumeRoleOutput{}
	}
	a := answer{op: opAssumeRole, creds: out.Credentials, metadata: out.ResultMetadata, duration: req.Duration}
	if out.AssumedRoleUser != nil {
		a.fields = append(a.fields, [2]string{"AssumedRoleUser.Arn", aws.ToString(out.AssumedRoleUser.Arn)},
			[2]string{"AssumedRoleUser.AssumedRoleId", aws.ToString(out.AssumedRoleUser.AssumedRoleId)})
	}
	creds, err := a.check(now(retry), req.Secrets)
	if err != nil {
		err.(*Error).Attempts = attempts
		return Result{}, scrubError(err, req.Secrets)
	}
	res := Result{Credentials: creds, PackedPolicySize: -1, Attempts: attempts}
	if out.AssumedRoleUser != nil {
		res.AssumedRoleARN = aws.ToString(out.AssumedRoleUser.Arn)
	}
	if out.PackedPolicySize != nil {
		res.PackedPolicySize = int(*out.PackedPolicySize)
	}
	return res, nil
}
