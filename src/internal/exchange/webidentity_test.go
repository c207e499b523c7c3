package exchange

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/ststest"
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
	r.BusyFirstDelay = 0                                        // TestBusyBackoff checks the short first wait
	return r
}

// must is for values a test cannot do without.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func request() Request {
	return Request{
		RoleARN:     must(ParseARN("arn:aws:iam::123456789012:role/deploy")),
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
	otherInvalid := ststest.Fail(400, "InvalidIdentityToken", "The ID token could not be validated")
	internal := ststest.Fail(500, "InternalFailure", "oops")
	cases := []struct {
		name       string
		script     []ststest.Answer
		wantCode   string
		wantClass  Class
		wantCalls  int
		wantSleeps []time.Duration
	}{
		{name: "first_attempt_succeeds", wantCalls: 1},
		// Busy answers: decorrelated jitter from BusyBaseDelay (2s), at
		// its ceiling here: three times the last wait, capped at 10s.
		{name: "throttling_then_success", script: []ststest.Answer{throttle, throttle}, wantCalls: 3,
			wantSleeps: []time.Duration{6 * time.Second, 10 * time.Second}},
		{name: "server_error_then_success", script: []ststest.Answer{ststest.Fail(500, "InternalFailure", "oops")}, wantCalls: 2,
			wantSleeps: []time.Duration{500 * time.Millisecond}},
		// 503 is AWS's answer under load (ServiceUnavailable, SlowDown):
		// busy, like throttling.
		{name: "unknown_code_503_is_busy", script: []ststest.Answer{ststest.Fail(503, "SomethingNew", "busy")}, wantCalls: 2,
			wantSleeps: []time.Duration{6 * time.Second}},
		{name: "503_does_not_count_against_max_attempts", script: []ststest.Answer{{Status: 503, Raw: " "}, {Status: 503, Raw: " "},
			{Status: 503, Raw: " "}, {Status: 503, Raw: " "}, {Status: 503, Raw: " "}, {Status: 503, Raw: " "}}, wantCalls: 7,
			wantSleeps: []time.Duration{6 * time.Second, 10 * time.Second, 10 * time.Second, 10 * time.Second, 10 * time.Second, 10 * time.Second}},
		// A 400 that is not an STS error document is garbled, not a
		// refusal: it counts against MaxAttempts like a 500.
		{name: "html_400_is_transient", script: []ststest.Answer{{Status: 400, Raw: "<html>Bad Request</html>"}}, wantCalls: 2,
			wantSleeps: []time.Duration{500 * time.Millisecond}},
		{name: "idp_communication_then_success", script: []ststest.Answer{ststest.Fail(400, "IDPCommunicationError", "timeout")}, wantCalls: 2,
			wantSleeps: []time.Duration{6 * time.Second}},
		{name: "keys_unreachable_then_success", script: []ststest.Answer{keys, keys, keys}, wantCalls: 4,
			wantSleeps: []time.Duration{6 * time.Second, 10 * time.Second, 10 * time.Second}},
		// Throttling does not count against MaxAttempts (5): eight
		// attempts, then credentials.
		{name: "throttling_does_not_count_against_max_attempts", script: []ststest.Answer{throttle, throttle, throttle, throttle, throttle, throttle, throttle},
			wantCalls: 8, wantSleeps: []time.Duration{6 * time.Second, 10 * time.Second, 10 * time.Second, 10 * time.Second, 10 * time.Second, 10 * time.Second, 10 * time.Second}},
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
		{name: "invalid_identity_token_retried_once", script: []ststest.Answer{otherInvalid, otherInvalid, otherInvalid}, wantCode: "InvalidIdentityToken",
			wantClass: KeyPropagation, wantCalls: 2, wantSleeps: []time.Duration{500 * time.Millisecond}},
		{name: "transient_until_attempts_run_out", script: []ststest.Answer{internal, internal, internal, internal, internal, internal},
			wantCode: "InternalFailure", wantClass: Transient, wantCalls: 5,
			wantSleeps: []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second}},
		// Only the server errors count: the fifth one ends it, at the
		// ninth attempt; each backoff keeps its own schedule.
		{name: "server_errors_among_throttling", script: []ststest.Answer{throttle, internal, throttle, internal, throttle, internal, throttle, internal, internal},
			wantCode: "InternalFailure", wantClass: Transient, wantCalls: 9,
			wantSleeps: []time.Duration{6 * time.Second, 500 * time.Millisecond, 10 * time.Second, time.Second, 10 * time.Second, 2 * time.Second,
				10 * time.Second, 4 * time.Second}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := ststest.New(t, tc.script...)
			clock := &fakeClock{now: time.Now()}
			var logs bytes.Buffer
			// At debug level every attempt has its line (see TestRetryLog).
			res, err := Exchange(context.Background(), newTestClient(srv), request(), testRetry(clock),
				slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))

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
	clock := &fakeClock{now: time.Now()}
	if _, err := Exchange(context.Background(), newTestClient(srv), req, testRetry(clock), slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	want := []ststest.Request{{
		Action:          "AssumeRoleWithWebIdentity",
		RoleARN:         req.RoleARN.String(),
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

// TestExchangeLastAttemptBeforeDeadline: a wait that would pass the
// deadline is cut short so that one last attempt still fits, and only then
// does the exchange report the deadline.
func TestExchangeLastAttemptBeforeDeadline(t *testing.T) {
	t.Parallel()
	throttle := ststest.Fail(400, "Throttling", "Rate exceeded")
	for _, tc := range []struct {
		name       string
		script     []ststest.Answer
		wantErr    bool
		wantSleeps []time.Duration
	}{
		{name: "last_attempt_succeeds", script: []ststest.Answer{throttle}, wantSleeps: []time.Duration{29 * time.Second}},
		{name: "last_attempt_throttled", script: []ststest.Answer{throttle, throttle, throttle}, wantErr: true, wantSleeps: []time.Duration{29 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := ststest.New(t, tc.script...)
			clock := &fakeClock{now: time.Now()}
			r := testRetry(clock)
			r.BusyBaseDelay = time.Minute
			r.BusyMaxDelay = time.Minute
			ctx, cancel := context.WithDeadline(context.Background(), clock.now.Add(30*time.Second))
			defer cancel()
			_, err := Exchange(ctx, newTestClient(srv), request(), r, slog.New(slog.DiscardHandler))
			if diff := cmp.Diff(tc.wantSleeps, clock.sleeps); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
			if got := len(srv.Requests()); got != 2 {
				t.Errorf("%d attempts, want 2: the last one shortly before the deadline", got)
			}
			if !tc.wantErr {
				if err != nil {
					t.Fatalf("Exchange: %v", err)
				}
				return
			}
			var xerr *Error
			if !errors.As(err, &xerr) || !xerr.DeadlineHit || xerr.Attempts != 2 || !strings.Contains(err.Error(), "overall deadline reached") {
				t.Fatalf("err = %v, want the deadline reached after 2 attempts", err)
			}
		})
	}
}

// TestExchangeTokenExpiry: retries stop TokenMargin before the token
// expires, however long the deadline, and say that the token ran out.
func TestExchangeTokenExpiry(t *testing.T) {
	t.Parallel()
	throttle := ststest.Fail(400, "Throttling", "Rate exceeded")
	var script []ststest.Answer
	for range 50 {
		script = append(script, throttle)
	}
	srv := ststest.New(t, script...)
	clock := &fakeClock{now: time.Now()}
	r := testRetry(clock)
	ctx, cancel := context.WithDeadline(context.Background(), clock.now.Add(2*time.Minute))
	defer cancel()
	req := request()
	req.TokenExpiry = clock.now.Add(12 * time.Second)
	start := clock.now
	_, err := Exchange(ctx, newTestClient(srv), req, r, slog.New(slog.DiscardHandler))
	var xerr *Error
	if !errors.As(err, &xerr) || !xerr.TokenExpired || xerr.DeadlineHit || xerr.Class != Transient {
		t.Fatalf("err = %#v, want TokenExpired", err)
	}
	if !strings.Contains(err.Error(), "ID token expires") {
		t.Errorf("err = %v, want it to name the token's expiry", err)
	}
	// 12s less the 5s margin: one 6s wait, then, a second left, a wait
	// cut to half of it for one last attempt.
	if diff := cmp.Diff([]time.Duration{6 * time.Second, 500 * time.Millisecond}, clock.sleeps); diff != "" {
		t.Errorf("sleeps (-want +got):\n%s", diff)
	}
	if xerr.Attempts != 3 || clock.now.Sub(start) > 7*time.Second {
		t.Errorf("%d attempts until %s after the start, want 3 within the token's lifetime less the margin", xerr.Attempts, clock.now.Sub(start))
	}
}

// TestExchangeRetryAfter: a Retry-After header is a floor of the wait, up
// to MaxRetryAfter, as seconds or as an HTTP date.
func TestExchangeRetryAfter(t *testing.T) {
	t.Parallel()
	epoch := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		answer ststest.Answer
		want   time.Duration
	}{
		{name: "seconds_above_the_backoff", answer: ststest.Answer{Status: 503, Raw: "busy", RetryAfter: "3"}, want: 3 * time.Second},
		{name: "capped", answer: ststest.Answer{Status: 503, Raw: "busy", RetryAfter: "3600"}, want: 20 * time.Second},
		{name: "below_the_backoff", answer: ststest.Answer{Status: 503, Raw: "busy", RetryAfter: "1"}, want: 2 * time.Second},
		{name: "http_date", answer: ststest.Answer{Status: 429, Raw: "busy", RetryAfter: epoch.Add(4 * time.Second).Format(http.TimeFormat)}, want: 4 * time.Second},
		{name: "on_a_server_error", answer: ststest.Answer{Status: 500, Code: "InternalFailure", RetryAfter: "5"}, want: 5 * time.Second},
		{name: "garbage", answer: ststest.Answer{Status: 503, Raw: "busy", RetryAfter: "soon"}, want: 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := ststest.New(t, tc.answer)
			clock := &fakeClock{now: epoch}
			srv.Expiration = epoch.Add(time.Hour) // on this test's clock
			r := testRetry(clock)
			r.Jitter = func(time.Duration) time.Duration { return 0 } // the backoff's floor: 2s busy, 0 otherwise
			if _, err := Exchange(context.Background(), newTestClient(srv), request(), r, slog.New(slog.DiscardHandler)); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]time.Duration{tc.want}, clock.sleeps); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScrub(t *testing.T) {
	t.Parallel()
	got := scrub("bad token "+testToken+" here", testToken)
	if strings.Contains(got, testToken) || !strings.Contains(got, "[REDACTED]") {
		t.Errorf("scrub = %q", got)
	}
}

func newTestClient(srv *ststest.Server) Client {
	return NewClient(ClientOptions{Region: "us-east-1", Endpoint: srv.URL, HTTPClient: srv.Client()})
}
