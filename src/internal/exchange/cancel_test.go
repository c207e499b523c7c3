package exchange

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// blockingClient answers with err, or, when err is nil, waits for the
// attempt's context to end.
type blockingClient struct{ err error }

func (c blockingClient) AssumeRoleWithWebIdentity(ctx context.Context, _ *sts.AssumeRoleWithWebIdentityInput, _ ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	if c.err != nil {
		return nil, c.err
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestCanceled checks that a run stopped by a signal (its context
// canceled) fails the same way wherever it was stopped: mid-attempt or
// while waiting to retry. The fault suite in tests/e2e found the two told
// apart (a canceled wait reported as one more transient Throttling).
func TestCanceled(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		client Client
	}{
		{name: "mid_attempt", client: blockingClient{}},
		{name: "waiting_to_retry", client: blockingClient{err: apiErr(400, "Throttling", "Rate exceeded")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			retry := DefaultRetry()
			retry.AttemptTimeout = time.Minute
			retry.Jitter = func(d time.Duration) time.Duration { return d }
			sleep := retry.Sleep
			retry.Sleep = func(ctx context.Context, d time.Duration) error {
				cancel()
				return sleep(ctx, d)
			}
			if tc.name == "mid_attempt" {
				time.AfterFunc(10*time.Millisecond, cancel)
			}
			_, err := Exchange(ctx, tc.client, request(), retry, slog.New(slog.NewTextHandler(io.Discard, nil)))
			var xerr *Error
			if !errors.As(err, &xerr) {
				t.Fatalf("error = %v, want *Error", err)
			}
			if xerr.Code != "canceled" || xerr.Class != Permanent || xerr.DeadlineHit || !errors.Is(err, context.Canceled) {
				t.Errorf("got code %q, class %v, deadline %v, is canceled %v; want canceled, permanent, no deadline, is canceled",
					xerr.Code, xerr.Class, xerr.DeadlineHit, errors.Is(err, context.Canceled))
			}
		})
	}
}
