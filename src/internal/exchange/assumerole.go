package exchange

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/credentials"
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
	RoleARN     string
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
}

// AssumeRole calls STS AssumeRole with the retry rule of Exchange. It is the
// second and every later hop of a role chain.
func AssumeRole(ctx context.Context, client RoleClient, req RoleRequest, retry Retry, log *slog.Logger) (Result, error) {
	in := &sts.AssumeRoleInput{
		RoleArn:         aws.String(req.RoleARN),
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
	attempts, err := withRetries(ctx, retry, log, opAssumeRole, "", func(ctx context.Context) error {
		var err error
		out, err = client.AssumeRole(ctx, in)
		return err
	})
	if err != nil {
		return Result{}, err
	}
	if out == nil {
		return Result{}, &Error{Op: opAssumeRole, Code: "bad-response", Message: "the answer holds no credentials", Class: Permanent, Attempts: attempts}
	}
	creds, bad := credentialsOf(out.Credentials)
	if bad != nil {
		bad.Op, bad.Attempts = opAssumeRole, attempts
		return Result{}, bad
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

// credentialsOf checks that STS answered with complete credentials.
func credentialsOf(c *types.Credentials) (credentials.Credentials, *Error) {
	if c == nil {
		return credentials.Credentials{}, &Error{Code: "bad-response", Message: "the answer holds no credentials", Class: Permanent, Attempts: 1}
	}
	creds := credentials.Credentials{
		AccessKeyID:     aws.ToString(c.AccessKeyId),
		SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken:    aws.ToString(c.SessionToken),
		Expiration:      aws.ToTime(c.Expiration),
	}
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" || creds.SessionToken == "" || creds.Expiration.IsZero() {
		return credentials.Credentials{}, &Error{Code: "bad-response", Message: "the answer's credentials are incomplete", Class: Permanent, Attempts: 1}
	}
	return creds, nil
}
