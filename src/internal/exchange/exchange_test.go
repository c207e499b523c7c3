package exchange

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/ststest"
)

const testToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJlLXRoYXQtaXMtc2VjcmV0"

// fakeClock records the sleeps asked for and advances time by them, so no
// test waits for real.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

func testRetry(clock *fakeClock) Retry {
	r := DefaultRetry()
	r.AttemptTimeout = 2 * time.Second
	r.Sleep = clock.Sleep
	r.Now = clock.Now
	r.Jitter = func(d time.Duration) time.Duration { return d } // the ceiling, so sleeps are predictable
	return r
}

func request() Request {
	return Request{
		RoleARN:     "arn:aws:iam::123456789012:role/deploy",
		SessionName: "GitLabRunner-1-2-3",
		Token:       testToken,
		Duration:    time.Hour,
	}
}

func TestExchange(t *testing.T) {
	t.Parallel()
	throttle := ststest.Fail(400, "Throttling", "Rate exceeded")
	denied := ststest.Fail(403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
	keys := ststest.Fail(400, "InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider")
	cases := []struct {
		name       string
		script     []ststest.Answer
		wantCode   string
		wantClass  Class
		wantCalls  int
		wantSleeps []time.Duration
	}{
		{name: "first_attempt_succeeds", wantCalls: 1},
		{name: "throttling_then_success", script: []ststest.Answer{throttle, throttle}, wantCalls: 3,
			wantSleeps: []time.Duration{500 * time.Millisecond, time.Second}},
		{name: "server_error_then_success", script: []ststest.Answer{ststest.Fail(500, "InternalFailure", "oops")}, wantCalls: 2,
			wantSleeps: []time.Duration{500 * time.Millisecond}},
		{name: "unknown_code_503_is_transient", script: []ststest.Answer{ststest.Fail(503, "SlowDown", "busy")}, wantCalls: 2,
			wantSleeps: []time.Duration{500 * time.Millisecond}},
		{name: "idp_communication_then_success", script: []ststest.Answer{ststest.Fail(400, "IDPCommunicationError", "timeout")}, wantCalls: 2,
			wantSleeps: []time.Duration{500 * time.Millisecond}},
		{name: "garbage_xml_then_success", script: []ststest.Answer{{Raw: "<not-xml"}}, wantCalls: 2,
			wantSleeps: []time.Duration{500 * time.Millisecond}},
		{name: "connection_closed_then_success", script: []ststest.Answer{{Hijack: true}}, wantCalls: 2,
			wantSleeps: []time.Duration{500 * time.Millisecond}},
		{name: "access_denied_fails_at_once", script: []ststest.Answer{denied}, wantCode: "AccessDenied", wantClass: Permanent, wantCalls: 1},
		{name: "validation_error_fails_at_once", script: []ststest.Answer{ststest.Fail(400, "ValidationError", "exceeds the MaxSessionDuration")},
			wantCode: "ValidationError", wantClass: Permanent, wantCalls: 1},
		{name: "expired_token_fails_at_once", script: []ststest.Answer{ststest.Fail(400, "ExpiredTokenException", "Token is expired")},
			wantCode: "ExpiredTokenException", wantClass: Permanent, wantCalls: 1},
		{name: "unknown_code_400_is_permanent", script: []ststest.Answer{ststest.Fail(400, "SomethingNew", "no")},
			wantCode: "SomethingNew", wantClass: Permanent, wantCalls: 1},
		{name: "invalid_identity_token_retried_once", script: []ststest.Answer{keys, keys, keys}, wantCode: "InvalidIdentityToken",
			wantClass: KeyPropagation, wantCalls: 2, wantSleeps: []time.Duration{500 * time.Millisecond}},
		{name: "transient_until_attempts_run_out", script: []ststest.Answer{throttle, throttle, throttle, throttle, throttle, throttle},
			wantCode: "Throttling", wantClass: Transient, wantCalls: 5,
			wantSleeps: []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := ststest.New(t, tc.script...)
			clock := &fakeClock{now: time.Unix(0, 0)}
			var logs bytes.Buffer
			res, err := Exchange(context.Background(), newTestClient(srv), request(), testRetry(clock), slog.New(slog.NewTextHandler(&logs, nil)))

			if got := len(srv.Requests()); got != tc.wantCalls {
				t.Errorf("calls = %d, want %d", got, tc.wantCalls)
			}
			if diff := cmp.Diff(tc.wantSleeps, clock.sleeps); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
			if strings.Count(logs.String(), "retrying in") != len(tc.wantSleeps) {
				t.Errorf("want one retry line per sleep, got:\n%s", logs.String())
			}
			if tc.wantCode == "" {
				if err != nil {
					t.Fatalf("Exchange: %v", err)
				}
				if res.Credentials.AccessKeyID != ststest.AccessKeyID || res.Attempts != tc.wantCalls {
					t.Errorf("result = %v after %d attempts", res.Credentials, res.Attempts)
				}
				return
			}
			var xerr *Error
			if !errors.As(err, &xerr) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if xerr.Code != tc.wantCode || xerr.Class != tc.wantClass || xerr.Attempts != tc.wantCalls {
				t.Errorf("got code %q class %v attempts %d, want %q %v %d", xerr.Code, xerr.Class, xerr.Attempts, tc.wantCode, tc.wantClass, tc.wantCalls)
			}
			if strings.Contains(err.Error(), testToken) || strings.Contains(logs.String(), testToken) {
				t.Errorf("token leaked")
			}
		})
	}
}

func TestExchangeRequest(t *testing.T) {
	t.Parallel()
	srv := ststest.New(t)
	req := request()
	req.Policy = `{"Version":"2012-10-17","Statement":[]}`
	req.PolicyARNs = []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}
	clock := &fakeClock{}
	if _, err := Exchange(context.Background(), newTestClient(srv), req, testRetry(clock), slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	want := []ststest.Request{{
		Action:          "AssumeRoleWithWebIdentity",
		RoleARN:         req.RoleARN,
		RoleSessionName: req.SessionName,
		DurationSeconds: "3600",
		Policy:          req.Policy,
		PolicyARNs:      req.PolicyARNs,
		TokenLength:     len(testToken),
	}}
	if diff := cmp.Diff(want, srv.Requests()); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
}

func TestExchangeDeadline(t *testing.T) {
	t.Parallel()
	// Each attempt hangs past its own timeout; the overall deadline allows
	// about two of them. The exchange must stop at the deadline, not after
	// five attempts.
	hang := ststest.Answer{Delay: 5 * time.Second}
	srv := ststest.New(t, hang, hang, hang, hang, hang)
	r := DefaultRetry()
	r.AttemptTimeout = 200 * time.Millisecond
	r.BaseDelay = 10 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Exchange(ctx, newTestClient(srv), request(), r, slog.New(slog.DiscardHandler))
	elapsed := time.Since(start)
	var xerr *Error
	if !errors.As(err, &xerr) || xerr.Class != Transient {
		t.Fatalf("err = %v, want a transient *Error", err)
	}
	// A generous margin: this checks the deadline holds, not speed.
	if elapsed > 3*time.Second {
		t.Errorf("Exchange took %s with a 500ms deadline", elapsed)
	}
}

func TestExchangeNoSleepPastDeadline(t *testing.T) {
	t.Parallel()
	throttle := ststest.Fail(400, "Throttling", "Rate exceeded")
	srv := ststest.New(t, throttle, throttle, throttle)
	clock := &fakeClock{now: time.Now()}
	r := testRetry(clock)
	r.BaseDelay = time.Minute
	r.MaxDelay = time.Minute
	ctx, cancel := context.WithDeadline(context.Background(), clock.now.Add(30*time.Second))
	defer cancel()
	_, err := Exchange(ctx, newTestClient(srv), request(), r, slog.New(slog.DiscardHandler))
	var xerr *Error
	if !errors.As(err, &xerr) || !xerr.DeadlineHit || xerr.Attempts != 1 {
		t.Fatalf("err = %#v, want deadline hit after 1 attempt", err)
	}
	if len(clock.sleeps) != 0 {
		t.Errorf("slept %v although the wait would pass the deadline", clock.sleeps)
	}
}

func TestScrub(t *testing.T) {
	t.Parallel()
	got := Scrub("bad token "+testToken+" here", testToken)
	if strings.Contains(got, testToken) || !strings.Contains(got, "[REDACTED]") {
		t.Errorf("Scrub = %q", got)
	}
}

func newTestClient(srv *ststest.Server) Client {
	return NewClient(ClientOptions{Region: "us-east-1", Endpoint: srv.URL, HTTPClient: srv.Client()})
}
