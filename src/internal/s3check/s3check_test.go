package s3check

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/s3test"
)

func TestParseURL(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in string
		want     Location
		wantErr  string
	}{
		{name: "bucket", in: "s3://my-bucket", want: Location{Bucket: "my-bucket"}},
		{name: "bucket_slash", in: "s3://my-bucket/", want: Location{Bucket: "my-bucket"}},
		{name: "prefix", in: "s3://my.bucket/deploy/app/", want: Location{Bucket: "my.bucket", Prefix: "deploy/app/"}},
		{name: "no_scheme", in: "my-bucket", wantErr: `invalid --check-s3: "my-bucket" is not an s3://bucket[/prefix] URL`},
		{name: "https", in: "https://my-bucket.s3.amazonaws.com", wantErr: "is not an s3://"},
		{name: "upper_case", in: "s3://MyBucket", wantErr: `names the bucket "MyBucket"`},
		{name: "too_short", in: "s3://ab", wantErr: "3 to 63"},
		{name: "empty", in: "s3://", wantErr: "3 to 63"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseURL(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// testRetry is the exchange's rule without real waits.
func testRetry() exchange.Retry {
	r := exchange.DefaultRetry()
	r.Sleep = func(context.Context, time.Duration) error { return nil }
	return r
}

func TestCheck(t *testing.T) {
	t.Parallel()
	srv := s3test.New(t, map[string]s3test.Bucket{
		"open":      {Keys: []string{"deploy/app.zip"}},
		"no-head":   {DenyHead: true},
		"no-list":   {DenyList: true},
		"empty-one": {},
		"busy":      {SlowDown: 4, Keys: []string{"k"}},
	})
	cases := []struct {
		name      string
		url       string
		wantKeys  int
		wantOps   []string
		wantCode  string
		wantHint  string
		transient bool
	}{
		{name: "allowed", url: "s3://open/deploy/", wantKeys: 1, wantOps: []string{"HeadBucket", "ListObjectsV2"}},
		{name: "allowed_empty", url: "s3://empty-one", wantOps: []string{"HeadBucket", "ListObjectsV2"}},
		{name: "head_denied", url: "s3://no-head", wantOps: []string{"HeadBucket"}, wantCode: "Forbidden",
			wantHint: "missing s3:ListBucket on arn:aws:s3:::no-head"},
		{name: "list_denied", url: "s3://no-list/app/", wantOps: []string{"HeadBucket", "ListObjectsV2"}, wantCode: "AccessDenied",
			wantHint: `an s3:prefix condition must allow "app/"`},
		// S3 under load answers 503 SlowDown: waited out like a busy STS.
		{name: "slow_down_retried", url: "s3://busy", wantKeys: 1,
			wantOps: []string{"HeadBucket", "HeadBucket", "HeadBucket", "HeadBucket", "HeadBucket", "ListObjectsV2"}},
		{name: "missing", url: "s3://nope", wantOps: []string{"HeadBucket"}, wantCode: "Not Found", wantHint: `the bucket "nope" does not exist`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			loc, err := ParseURL(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			client := NewClient(exchange.ClientOptions{Region: "us-east-1", Endpoint: srv.URL, Credentials: &exchange.Credentials{
				AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "secret", SessionToken: "session", Expiration: time.Now().Add(time.Hour)}})
			n, err := Check(context.Background(), client, loc, "aws", testRetry(), slog.New(slog.DiscardHandler))
			var ops []string
			for _, r := range srv.Requests() {
				if r.Bucket == loc.Bucket {
					ops = append(ops, r.Op)
					if !r.Signed {
						t.Errorf("%s was not signed", r.Op)
					}
				}
			}
			if diff := cmp.Diff(tc.wantOps, ops); diff != "" {
				t.Errorf("operations (-want +got):\n%s", diff)
			}
			if tc.wantCode == "" {
				if err != nil || n != tc.wantKeys {
					t.Fatalf("Check = %d, %v; want %d keys", n, err, tc.wantKeys)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != tc.wantCode {
				t.Fatalf("err = %v, want code %q", err, tc.wantCode)
			}
			if !strings.Contains(e.Hint(), tc.wantHint) {
				t.Errorf("hint = %q, want %q", e.Hint(), tc.wantHint)
			}
			if e.Transient() {
				t.Errorf("a refusal was classed transient")
			}
		})
	}
}

// TestCheckBusyLog: S3's SlowDown is waited out, and the log says S3 was
// busy, not STS.
func TestCheckBusyLog(t *testing.T) {
	t.Parallel()
	srv := s3test.New(t, map[string]s3test.Bucket{"busy": {SlowDown: 1}})
	client := NewClient(exchange.ClientOptions{Region: "us-east-1", Endpoint: srv.URL, Credentials: &exchange.Credentials{
		AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "secret", SessionToken: "session", Expiration: time.Now().Add(time.Hour)}})
	var logs strings.Builder
	if _, err := Check(context.Background(), client, Location{Bucket: "busy"}, "aws", testRetry(), slog.New(slog.NewTextHandler(&logs, nil))); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "attempt 1 failed: ServiceUnavailable") || !strings.Contains(logs.String(), "S3 is busy") {
		t.Errorf("log = %q, want the 503 to HeadBucket (no body: no SlowDown code) named as S3 being busy", logs.String())
	}
}
