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

// answerClient stands for an answer that comes back just as the signal
// arrives: the run's context is canceled while the answer is on its way.
type answerClient struct {
	cancel context.CancelFunc
	err    error
}

func (c answerClient) AssumeRoleWithWebIdentity(context.Context, *sts.AssumeRoleWithWebIdentityInput, ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	c.cancel()
	return nil, c.err
}

// TestCanceled checks that a run stopped by a signal (its context
// canceled) fails the same way wherever it was stopped: mid-attempt,
// while waiting to retry, or as an answer came back. The fault suite in
// tests/e2e found them told apart: a canceled wait reported as one more
// transient Throttling, and a Throttling answer that met SIGTERM reported
// as STS refusing (exit 4).
func TestCanceled(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		client Client
	}{
		{name: "mid_attempt", client: blockingClient{}},
		{name: "waiting_to_retry", client: blockingClient{err: apiErr(400, "Throttling", "Rate exceeded")}},
		{name: "throttling_answer_as_signal_arrives"},
		{name: "refusal_as_signal_arrives"},
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
			switch tc.name {
			case "mid_attempt":
				time.AfterFunc(10*time.Millisecond, cancel)
			case "throttling_answer_as_signal_arrives":
				tc.client = answerClient{cancel: cancel, err: apiErr(400, "Throttling", "Rate exceeded")}
			case "refusal_as_signal_arrives":
				tc.client = answerClient{cancel: cancel, err: apiErr(403, "AccessDenied", "Not authorized")}
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
