package exchange

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/ststest"
)

// TestVerify: GetCallerIdentity (--verify) has the exchange's retry rule:
// the jobs that made STS busy for the exchange ask it right after, so a
// busy answer is waited out until the deadline, not a failure at once.
func TestVerify(t *testing.T) {
	t.Parallel()
	throttle := ststest.Fail(400, "Throttling", "Rate exceeded")
	internal := ststest.Fail(500, "InternalFailure", "oops")
	cases := []struct {
		name       string
		script     []ststest.Answer
		wantCode   string
		wantClass  Class
		wantCalls  int
		wantSleeps []time.Duration
	}{
		{name: "first_attempt", wantCalls: 1},
		{name: "throttled_past_max_attempts", script: []ststest.Answer{throttle, throttle, throttle, throttle, throttle, throttle},
			wantCalls: 7, wantSleeps: []time.Duration{6 * time.Second, 10 * time.Second, 10 * time.Second, 10 * time.Second, 10 * time.Second, 10 * time.Second}},
		{name: "server_error_then_success", script: []ststest.Answer{internal}, wantCalls: 2, wantSleeps: []time.Duration{500 * time.Millisecond}},
		{name: "denied_at_once", script: []ststest.Answer{ststest.Fail(403, "AccessDenied", "no")}, wantCode: "AccessDenied", wantClass: Permanent, wantCalls: 1},
		// Throttled until the deadline: the last wait is cut to fit one
		// last attempt, and the error says the deadline ended it.
		{name: "busy_until_deadline", script: []ststest.Answer{throttle, throttle, throttle, throttle, throttle, throttle, throttle, throttle},
			wantCode: "Throttling", wantClass: Transient, wantCalls: 4, wantSleeps: []time.Duration{6 * time.Second, 10 * time.Second, 3 * time.Second}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := ststest.New(t, tc.script...)
			clock := &fakeClock{now: time.Now()}
			ctx, cancel := context.WithDeadline(context.Background(), clock.now.Add(20*time.Second))
			defer cancel()
			client := NewClient(ClientOptions{Region: "us-east-1", Endpoint: srv.URL, Credentials: &Credentials{
				AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "secret-key-of-the-session", SessionToken: "session-token-of-the-session", Expiration: time.Now().Add(time.Hour),
			}})
			if tc.name != "busy_until_deadline" {
				ctx = context.Background()
			}
			id, err := Verify(ctx, client, testRetry(clock), slog.New(slog.DiscardHandler), nil)
			if got := len(srv.Requests()); got != tc.wantCalls {
				t.Errorf("calls = %d, want %d", got, tc.wantCalls)
			}
			if diff := cmp.Diff(tc.wantSleeps, clock.sleeps); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
			if tc.wantCode == "" {
				if err != nil || id.Account == "" {
					t.Fatalf("Verify = %+v, %v", id, err)
				}
				return
			}
			var xerr *Error
			if !errors.As(err, &xerr) || xerr.Code != tc.wantCode || xerr.Class != tc.wantClass || xerr.Op != "GetCallerIdentity" || xerr.Attempts != tc.wantCalls {
				t.Fatalf("err = %#v, want %s %v after %d attempts", err, tc.wantCode, tc.wantClass, tc.wantCalls)
			}
		})
	}
}
