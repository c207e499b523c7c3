package exchange

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// ClientOptions are what an AWS client of the tool needs from the
// configuration: the STS client of every call here, and the S3 client of
// --check-s3 (s3check.NewClient).
type ClientOptions struct {
	Region string
	// Endpoint is the service's full URL: for STS the regional endpoint or
	// the one given; empty leaves it to the SDK (S3's own for the region).
	Endpoint string
	// HTTPClient carries the transport (CA bundle, proxies); nil means the
	// SDK's default.
	HTTPClient *http.Client
	// Credentials sign requests; nil means anonymous, which is all
	// AssumeRoleWithWebIdentity needs.
	Credentials *Credentials
	// UserAgent is appended to the SDK's User-Agent header (see
	// ci.UserAgent); "" adds nothing.
	UserAgent string
}

// Config is the SDK configuration of every AWS client the tool makes. The
// SDK's own retryer is off so that every attempt is classified, logged and
// counted against one deadline by Retry, and every answer is read whole up
// to MaxResponseBytes.
func (o ClientOptions) Config() aws.Config {
	cfg := aws.Config{
		Region:      o.Region,
		Credentials: aws.AnonymousCredentials{},
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
		AppID:       "aws-oidc",
	}
	if o.Endpoint != "" {
		cfg.BaseEndpoint = aws.String(o.Endpoint)
	}
	if o.Credentials != nil {
		cfg.Credentials = staticCredentials(*o.Credentials)
	}
	if o.HTTPClient != nil {
		cfg.HTTPClient = limitResponses(o.HTTPClient)
	} else {
		cfg.HTTPClient = limitResponses(nil)
	}
	if o.UserAgent != "" {
		cfg.APIOptions = append(cfg.APIOptions, appendUserAgent(o.UserAgent))
	}
	return cfg
}

// NewClient builds the STS client of o.
func NewClient(o ClientOptions) *sts.Client {
	return sts.NewFromConfig(o.Config())
}

// staticCredentials signs requests with credentials from an exchange.
func staticCredentials(c Credentials) aws.CredentialsProvider {
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

// appendUserAgent adds ua after the SDK's own User-Agent, which it keeps
// whole. The SDK's AddUserAgentKeyValue would turn every '/' of a project
// path into '-', so the comment is added as is, once the SDK has built its
// part. User-Agent is not signed: adding to it cannot break a signature.
func appendUserAgent(ua string) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Build.Add(middleware.BuildMiddlewareFunc("aws-oidc/UserAgent",
			func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
				if req, ok := in.Request.(*smithyhttp.Request); ok {
					if cur := req.Header.Get("User-Agent"); cur != "" {
						req.Header.Set("User-Agent", cur+" "+ua)
					} else {
						req.Header.Set("User-Agent", ua)
					}
				}
				return next.HandleBuild(ctx, in)
			}), middleware.After)
	}
}

// durationSeconds, optional and policyDescriptors put the parameters both
// role operations share in the SDK's form: nothing for a zero value, which
// leaves the choice to STS.
func durationSeconds(d time.Duration) *int32 {
	if d <= 0 {
		return nil
	}
	return aws.Int32(int32(d / time.Second))
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func policyDescriptors(arns []string) []types.PolicyDescriptorType {
	var out []types.PolicyDescriptorType
	for _, arn := range arns {
		out = append(out, types.PolicyDescriptorType{Arn: aws.String(arn)})
	}
	return out
}

// MaxResponseBytes caps what is read of one answer of STS or S3. STS
// answers are a few KB (a session token is at most a few thousand
// characters) and the S3 check asks for one key: a megabyte is far more
// than any honest answer, and keeps a broken or hostile server from making
// the process read hundreds of megabytes into memory.
const MaxResponseBytes = 1 << 20

// ErrResponseTooLarge is an answer longer than MaxResponseBytes. (A value
// of its own type, not fmt.Errorf's: nothing is built at start-up.)
var ErrResponseTooLarge error = responseTooLarge{}

type responseTooLarge struct{}

func (responseTooLarge) Error() string {
	return fmt.Sprintf("the answer is longer than %d bytes, far more than any STS or S3 answer", MaxResponseBytes)
}

// httpDoer is the HTTP client the AWS SDK clients take.
type httpDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// limitResponses returns c (nil: the SDK's default client) reading every
// answer whole, up to MaxResponseBytes: a longer one, announced or not,
// fails with ErrResponseTooLarge after reading at most that much.
func limitResponses(c httpDoer) httpDoer {
	if c == nil {
		c = awshttp.NewBuildableClient()
	}
	return limited{c}
}

type limited struct{ c httpDoer }

func (l limited) Do(req *http.Request) (*http.Response, error) {
	resp, err := l.c.Do(req)
	if err != nil {
		return resp, err
	}
	defer resp.Body.Close()
	if resp.ContentLength > MaxResponseBytes {
		return nil, ErrResponseTooLarge
	}
	// Read here, whole: an answer is small, and reading it before the SDK
	// does makes the cap one decision, whatever the SDK's decoder does with
	// the rest of a stream.
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	var timeout interface{ Timeout() bool }
	switch {
	case err == nil:
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), errors.As(err, &timeout) && timeout.Timeout():
		return nil, err
	default:
		// An answer cut short, as the SDK's decoder would have met it.
		return nil, &smithy.DeserializationError{Err: fmt.Errorf("failed to read the answer: %w", err)}
	}
	if len(body) > MaxResponseBytes {
		return nil, ErrResponseTooLarge
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}
