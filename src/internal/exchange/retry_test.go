package exchange

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
	"gitlab.com/aws-oidc/aws-oidc/src/testing/ststest"
)

// TestRetryLog checks that a long run of busy answers gives the job log one
// warning per round of LogEvery, not one per attempt, that a new kind of
// failure is always shown, and that --debug shows every attempt.
func TestRetryLog(t *testing.T) {
	t.Parallel()
	throttle := ststest.Fail(400, "Throttling", "Rate exceeded")
	var script []ststest.Answer
	for range 25 {
		script = append(script, throttle)
	}
	script = append(script, ststest.Fail(500, "InternalFailure", "oops"))
	for _, debug := range []bool{false, true} {
		srv := ststest.New(t, script...)
		clock := &fakeClock{now: time.Now()}
		r := testRetry(clock)
		r.BusyBaseDelay, r.BusyMaxDelay = time.Second, time.Second
		var logs bytes.Buffer
		if _, err := Exchange(context.Background(), newTestClient(srv), request(), r, logging.New(&logs, debug)); err != nil {
			t.Fatal(err)
		}
		var warnings []string
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.HasPrefix(line, "warning: ") {
				warnings = append(warnings, line)
			}
		}
		// Attempts 1, 11 and 21 at 0s, 10s and 20s; the server error at
		// attempt 26 is new, so it is shown too.
		want := []string{
			"warning: attempt 1 failed: Throttling; retrying in 1s (STS is busy: retrying until the deadline)",
			"warning: attempt 11 failed: Throttling; retrying in 1s (STS is busy: retrying until the deadline); 9 more failed attempts since the last warning",
			"warning: attempt 21 failed: Throttling; retrying in 1s (STS is busy: retrying until the deadline); 9 more failed attempts since the last warning",
			"warning: attempt 26 failed: InternalFailure; retrying in 500ms (failure 1 of at most 5 that are not STS being busy); 4 more failed attempts since the last warning",
		}
		if diff := cmp.Diff(want, warnings); diff != "" {
			t.Errorf("debug %v: warnings (-want +got):\n%s", debug, diff)
		}
		wantLines := len(want)
		if debug {
			wantLines = 26
		}
		if got := strings.Count(logs.String(), "retrying in"); got != wantLines {
			t.Errorf("debug %v: %d retry lines, want %d:\n%s", debug, got, wantLines, logs.String())
		}
	}
}

// TestBusyBackoff checks the busy waits with real randomness: each within
// [BusyBaseDelay, BusyMaxDelay], and not one schedule shared by callers.
func TestBusyBackoff(t *testing.T) {
	t.Parallel()
	r := DefaultRetry()
	seen := map[time.Duration]bool{}
	for range 200 {
		first := r.busyBackoff(0)
		if first < r.BusyFirstDelay || first >= 3*r.BusyFirstDelay {
			t.Fatalf("first busy wait %s, want within [%s, %s)", first, r.BusyFirstDelay, 3*r.BusyFirstDelay)
		}
		last := first
		for range 10 {
			d := r.busyBackoff(last)
			if d < r.BusyBaseDelay || d > r.BusyMaxDelay {
				t.Fatalf("busy wait %s after %s, want within [%s, %s]", d, last, r.BusyBaseDelay, r.BusyMaxDelay)
			}
			if d > max(last, r.BusyBaseDelay)*3 {
				t.Fatalf("busy wait %s after %s, want at most three times the last", d, last)
			}
			seen[d.Truncate(100*time.Millisecond)] = true
			last = d
		}
	}
	if len(seen) < 50 {
		t.Errorf("only %d distinct waits (by 100ms) in 2,000: the jitter is not spreading callers", len(seen))
	}
}
