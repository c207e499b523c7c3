// Package s3check owns --check-s3: proving that a role session can reach an
// S3 bucket, not just that the role was assumed. It asks what a deploy job
// asks first (HeadBucket, then a ListObjectsV2 of one key under the prefix)
// and, when S3 refuses, names the permission the role lacks.
package s3check

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
)

// Location is an s3://bucket[/prefix] URL.
type Location struct {
	Bucket string
	Prefix string
}

func (l Location) String() string {
	if l.Prefix == "" {
		return "s3://" + l.Bucket
	}
	return "s3://" + l.Bucket + "/" + l.Prefix
}

// validBucket is S3's rule for bucket names (3 to 63 of a-z, 0-9, '.', '-',
// starting and ending with a letter or digit).
// It is checked byte by byte: the regexp, with its bounded repeat, cost
// hundreds of allocations at every start-up.
func validBucket(name string) bool {
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		inner := i > 0 && i < len(name)-1
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || inner && (c == '.' || c == '-')) {
			return false
		}
	}
	return true
}

// ParseURL reads s3://bucket[/prefix].
func ParseURL(s string) (Location, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "s3://")
	if !ok {
		return Location{}, &exchange.FieldError{Field: "check-s3", Msg: fmt.Sprintf("%q is not an s3://bucket[/prefix] URL", s)}
	}
	name, prefix, _ := strings.Cut(rest, "/")
	if !validBucket(name) {
		return Location{}, &exchange.FieldError{Field: "check-s3", Msg: fmt.Sprintf("%q names the bucket %q; bucket names are 3 to 63 lower-case letters, digits, '.' and '-'", s, name)}
	}
	return Location{Bucket: name, Prefix: prefix}, nil
}

// API is what the check asks of S3.
type API interface {
	HeadBucket(ctx context.Context, in *s3.HeadBucketInput, opts ...func(*s3.Options)) (*s3.HeadBucketOutput, error)
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

// NewClient builds the S3 client of the check from the options every AWS
// client of the tool shares (exchange.ClientOptions.Config): the SDK's own
// retryer is off, as Check retries with the exchange's rule
// (exchange.Retry), so a busy S3 (503 SlowDown) is waited out within the
// run's one deadline like a busy STS, and every attempt is classified and
// logged the same way; S3's answers are capped like STS's, as the check asks
// for one key. An Endpoint overrides S3's (S3-compatible servers, VPC
// endpoints) and switches to path-style addressing, which every such server
// takes.
func NewClient(o exchange.ClientOptions) *s3.Client {
	return s3.NewFromConfig(o.Config(), func(opts *s3.Options) {
		opts.UsePathStyle = o.Endpoint != ""
	})
}

// Check runs HeadBucket, then ListObjectsV2 for one key under the prefix,
// each with the exchange's retry rule (attempt timeout, busy backoff, the
// deadline of ctx). It reports how many keys the listing saw (0 or 1).
func Check(ctx context.Context, client API, loc Location, partition string, rule exchange.Retry, log *slog.Logger) (int, error) {
	if _, err := rule.Run(ctx, log, "S3 HeadBucket", func(ctx context.Context) error {
		_, err := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(loc.Bucket)})
		return err
	}); err != nil {
		return 0, newError(loc, partition, "HeadBucket", err)
	}
	in := &s3.ListObjectsV2Input{Bucket: aws.String(loc.Bucket), MaxKeys: aws.Int32(1)}
	if loc.Prefix != "" {
		in.Prefix = aws.String(loc.Prefix)
	}
	var out *s3.ListObjectsV2Output
	if _, err := rule.Run(ctx, log, "S3 ListObjectsV2", func(ctx context.Context) error {
		var err error
		out, err = client.ListObjectsV2(ctx, in)
		return err
	}); err != nil {
		return 0, newError(loc, partition, "ListObjectsV2", err)
	}
	return len(out.Contents), nil
}

// Error is a failed check.
type Error struct {
	Location  Location
	Partition string
	// Op is the S3 operation that failed.
	Op string
	// Code is S3's error code, or the HTTP status as "http-403".
	Code   string
	Status int
	// Attempts, DeadlineHit and Busy are the retries' (see exchange.Error).
	Attempts    int
	DeadlineHit bool
	Busy        bool
	class       exchange.Class
	err         error
}

func newError(loc Location, partition, op string, err error) *Error {
	e := &Error{Location: loc, Partition: partition, Op: op, err: err}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		e.Status = re.HTTPStatusCode()
	}
	e.Code, e.class = exchange.Classify(err)
	var xerr *exchange.Error
	if errors.As(err, &xerr) {
		// The retries' verdict: a deadline or the attempts ran out.
		e.class, e.Attempts, e.DeadlineHit, e.Busy = xerr.Class, xerr.Attempts, xerr.DeadlineHit, xerr.Busy
	}
	var api smithy.APIError
	if errors.As(err, &api) && e.Status != 0 && (api.ErrorCode() == "" || api.ErrorCode() == "Forbidden" || api.ErrorCode() == "NotFound") {
		// HEAD answers carry no body, so the SDK only knows the status.
		e.Code = http.StatusText(e.Status)
	}
	return e
}

func (e *Error) Error() string {
	// The code is S3's text: printed on one line, without a long value.
	return fmt.Sprintf("failed to check %s: s3 %s failed: %s", e.Location, e.Op, logging.Line(logging.ServerText(e.Code)))
}

func (e *Error) Unwrap() error { return e.err }

// Transient reports whether another run may pass.
func (e *Error) Transient() bool { return e.class == exchange.Transient }

// Denied reports an access refusal.
func (e *Error) Denied() bool {
	return e.Status == http.StatusForbidden || e.Code == "AccessDenied"
}

// Hint names what to change.
func (e *Error) Hint() string { return e.HintFor(exchange.Flag) }

// HintFor is Hint naming the tool's settings by flag (see exchange.Flag).
func (e *Error) HintFor(flag func(name string) string) string {
	partition := e.Partition
	if partition == "" {
		partition = "aws"
	}
	arn := fmt.Sprintf("arn:%s:s3:::%s", partition, e.Location.Bucket)
	switch {
	case e.Denied():
		h := fmt.Sprintf("the role is missing s3:ListBucket on %s: allow it in the role's policy (and in the bucket policy, if it has one)", arn)
		if e.Op == "ListObjectsV2" && e.Location.Prefix != "" {
			h += fmt.Sprintf("; an s3:prefix condition must allow %q", e.Location.Prefix)
		}
		if e.Op == "HeadBucket" {
			h += "; S3 authorises HeadBucket with s3:ListBucket"
		}
		return h
	case e.Status == http.StatusNotFound || e.Code == "NoSuchBucket":
		return fmt.Sprintf("the bucket %q does not exist in this partition (%s); check the name in %s", e.Location.Bucket, partition, flag("check-s3"))
	case e.Status == http.StatusMovedPermanently || e.Code == "PermanentRedirect" || e.Code == "AuthorizationHeaderMalformed":
		return "the bucket lives in another region: set " + flag("region") + " to the bucket's region"
	case e.Transient() && e.Busy:
		return "S3 was busy (SlowDown, 503) until the deadline: raise " + flag("timeout") + ", or start fewer of these jobs at once"
	case e.Transient():
		return "S3 did not answer; check the network path to S3 (or " + flag("s3-endpoint") + ") and retry"
	}
	return ""
}
