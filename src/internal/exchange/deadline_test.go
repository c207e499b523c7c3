package exchange

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// clockContext is an overall deadline on a fakeClock: done once the clock
// has reached it, so a test decides in which attempt or wait the deadline
// falls without waiting for it.
type clockContext struct {
	context.Context
	clock    *fakeClock
	deadline time.Time
}

func (c clockContext) Deadline() (time.Time, bool) { return c.deadline, true }

func (c clockContext) Err() error {
	if c.clock.Now().Before(c.deadline) {
		return nil
	}
	return context.DeadlineExceeded
}

// step is one attempt of a clockClient: it takes that long on the clock,
// then fails with err. An attempt the deadline overtakes gets no answer
// unless late is set (the answer arrived as the deadline passed).
type step struct {
	takes time.Duration
	err   error
	late  bool
}

type clockClient struct {
	ctx   clockContext
	steps []step
	calls int
}

func (c *clockClient) AssumeRoleWithWebIdentity(context.Context, *sts.AssumeRoleWithWebIdentityInput, ...func(*sts.Options)) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	s := c.steps[min(c.calls, len(c.steps)-1)]
	c.calls++
	c.ctx.clock.mu.Lock()
	c.ctx.clock.now = c.ctx.clock.now.Add(s.takes)
	c.ctx.clock.mu.Unlock()
	if c.ctx.Err() != nil && !s.late {
		// What the SDK returns when the context ends mid-request.
		return nil, &smithy.OperationError{ServiceID: "STS", OperationName: opWebIdentity,
			Err: &smithy.CanceledError{Err: context.DeadlineExceeded}}
	}
	return nil, s.err
}

// TestDeadlineReportsLastAnswer checks what a run ended by --timeout
// reports: the last answer STS gave, whether the deadline fell in a wait
// between attempts or in the middle of an attempt, which is a matter of the
// machine's timing. The fault suite in tests/e2e met both: an issuer AWS
// could not reach (every answer InvalidIdentityToken "Couldn't retrieve
// verification key") exited 4 with its hint, or 5 with "timeout" when the
// deadline came during the last attempt on a loaded machine.
func TestDeadlineReportsLastAnswer(t *testing.T) {
	t.Parallel()
	keys := apiErr(400, "InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider")
	throttle := apiErr(400, "Throttling", "Rate exceeded")
	internal := apiErr(500, "InternalFailure", "oops")
	denied := apiErr(403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
	fast := 10 * time.Millisecond
	// With the jitter at its ceiling the busy waits are 6s, then 10s; a
	// server error's first wait is 500ms. A wait that would leave the last
	// attempt less than its room (a second, or half the time left) is cut.
	cases := []struct {
		name      string
		deadline  time.Duration
		steps     []step
		wantCode  string
		wantClass Class
		wantBusy  bool
		// wantDeadline is Error.DeadlineHit.
		wantDeadline bool
		wantCalls    int
	}{
		// The deadline falls between attempts: after the second answer
		// the wait is cut so that a last attempt fits, and after its
		// answer no time is left. The refusal, exit 4.
		{name: "keys_unreachable_deadline_between_attempts", deadline: 12 * time.Second,
			steps:    []step{{takes: fast, err: keys}},
			wantCode: "InvalidIdentityToken", wantClass: KeyPropagation, wantBusy: true, wantDeadline: true, wantCalls: 3},
		// The deadline comes during the last attempt: the same.
		{name: "keys_unreachable_deadline_mid_attempt", deadline: 6*time.Second + 40*time.Millisecond,
			steps:    []step{{takes: fast, err: keys}, {takes: time.Second, err: keys}},
			wantCode: "InvalidIdentityToken", wantClass: KeyPropagation, wantBusy: true, wantDeadline: true, wantCalls: 2},
		{name: "throttling_deadline_mid_attempt", deadline: 6*time.Second + 40*time.Millisecond,
			steps:    []step{{takes: fast, err: throttle}, {takes: time.Second, err: throttle}},
			wantCode: "Throttling", wantClass: Transient, wantBusy: true, wantDeadline: true, wantCalls: 2},
		// The last answer counts, not the first.
		{name: "throttling_then_keys_deadline_mid_attempt", deadline: 16*time.Second + 100*time.Millisecond,
			steps:    []step{{takes: fast, err: throttle}, {takes: fast, err: keys}, {takes: time.Second, err: keys}},
			wantCode: "InvalidIdentityToken", wantClass: KeyPropagation, wantBusy: true, wantDeadline: true, wantCalls: 3},
		{name: "server_error_deadline_mid_attempt", deadline: time.Second,
			steps:    []step{{takes: fast, err: internal}, {takes: time.Second, err: internal}},
			wantCode: "InternalFailure", wantClass: Transient, wantDeadline: true, wantCalls: 2},
		// No answer at all: the run timed out.
		{name: "deadline_mid_first_attempt", deadline: time.Second,
			steps:    []step{{takes: 2 * time.Second}},
			wantCode: "timeout", wantClass: Transient, wantDeadline: true, wantCalls: 1},
		// An answer that arrives as the deadline passes is an answer: a
		// refusal is final, a busy answer ends the run at the deadline.
		{name: "refusal_as_deadline_passes", deadline: 6*time.Second + 40*time.Millisecond,
			steps:    []step{{takes: fast, err: throttle}, {takes: time.Second, err: denied, late: true}},
			wantCode: "AccessDenied", wantClass: Permanent, wantCalls: 2},
		{name: "keys_unreachable_as_deadline_passes", deadline: 6*time.Second + 40*time.Millisecond,
			steps:    []step{{takes: fast, err: throttle}, {takes: time.Second, err: keys, late: true}},
			wantCode: "InvalidIdentityToken", wantClass: KeyPropagation, wantBusy: true, wantDeadline: true, wantCalls: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := &fakeClock{now: time.Unix(0, 0)}
			ctx := clockContext{Context: context.Background(), clock: clock, deadline: clock.now.Add(tc.deadline)}
			client := &clockClient{ctx: ctx, steps: tc.steps}
			_, err := Exchange(ctx, client, request(), testRetry(clock), slog.New(slog.DiscardHandler))
			var xerr *Error
			if !errors.As(err, &xerr) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if xerr.Code != tc.wantCode || xerr.Class != tc.wantClass || xerr.Busy != tc.wantBusy || xerr.DeadlineHit != tc.wantDeadline ||
				xerr.Attempts != tc.wantCalls || client.calls != tc.wantCalls {
				t.Errorf("got code %q, class %v, busy %v, deadline %v, attempts %d (calls %d); want %q, %v, %v, %v, %d",
					xerr.Code, xerr.Class, xerr.Busy, xerr.DeadlineHit, xerr.Attempts, client.calls,
					tc.wantCode, tc.wantClass, tc.wantBusy, tc.wantDeadline, tc.wantCalls)
			}
			if errors.Is(err, context.Canceled) {
				t.Errorf("a deadline reads as canceled (a signal): %v", err)
			}
		})
	}
}
