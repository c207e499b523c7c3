package exchange

import (
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// ClientOptions are what an STS client needs from the configuration.
type ClientOptions struct {
	Region string
	// Endpoint is the full STS URL, regional or overridden.
	Endpoint string
	// HTTPClient carries the transport (CA bundle, proxies); nil means the
	// SDK's default.
	HTTPClient *http.Client
	// Credentials signs requests; nil means anonymous, which is all
	// AssumeRoleWithWebIdentity needs.
	Credentials aws.CredentialsProvider
}

// NewClient builds an STS client whose retries are ours: the SDK's own
// retryer is off so that every attempt is classified, logged and counted
// against one deadline.
func NewClient(o ClientOptions) *sts.Client {
	opts := sts.Options{
		Region:       o.Region,
		BaseEndpoint: aws.String(o.Endpoint),
		Credentials:  o.Credentials,
		Retryer:      aws.NopRetryer{},
		AppID:        "aws-oidc",
	}
	if opts.Credentials == nil {
		opts.Credentials = aws.AnonymousCredentials{}
	}
	if o.HTTPClient != nil {
		opts.HTTPClient = o.HTTPClient
	}
	return sts.New(opts)
}

func stsPolicyARN(arn string) types.PolicyDescriptorType {
	return types.PolicyDescriptorType{Arn: aws.String(arn)}
}
