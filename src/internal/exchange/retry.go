// The one retry rule of every STS (and S3) call: which failures are
// retried, how long to wait, and when to stop.

package exchange

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// TokenMargin is how long before the token's expiry the retries stop: an
// attempt takes a moment, and STS's clock may be a little ahead of ours.
const TokenMargin = 5 * time.Second

// lastAttemptRoom is at most how much of the deadline the last attempt is
// given when a wait is cut short to fit one more attempt in (less when the
// attempt timeout is shorter). A busy STS answers in milliseconds.
const lastAttemptRoom = time.Second

// Retry shapes the attempts. The zero value is not useful: start from
// DefaultRetry.
//
// Two kinds of failure are retried, each with its own backoff. An answer
// that says STS is busy (see Busy: throttling, 429, 503) is retried until
// ctx's deadline, with decorrelated jitter between BusyBaseDelay and
// BusyMaxDelay: a pipeline starts many jobs at once, each its own process,
// and they share one STS request rate without knowing of each other. Any
// other transient failure (500, 502, 504, garbled answers, timeouts,
// connection failures) counts against MaxAttempts and waits a capped
// exponential backoff with full jitter between BaseDelay and MaxDelay. A
// Retry-After header is a floor of either wait, up to MaxRetryAfter. When a
// wait would pass the deadline it is cut short so that one last attempt
// still fits before it.
type Retry struct {
	// MaxAttempts caps the attempts that fail for another reason than a
	// busy STS, at least 1. Busy answers do not count against it.
	MaxAttempts int
	// AttemptTimeout bounds each attempt. STS itself waits up to 5 s for the
	// issuer, so less than about 10 s cuts off slow but healthy calls.
	AttemptTimeout time.Duration
	// BaseDelay and MaxDelay bound the capped exponential backoff after
	// server errors, timeouts and connection failures.
	BaseDelay, MaxDelay time.Duration
	// BusyBaseDelay and BusyMaxDelay bound the decorrelated jitter after a
	// busy answer. The cap is longer than MaxDelay's: when hundreds of
	// callers share a rate, the ones still waiting must spread out over
	// many seconds, or their retries alone keep the rate exhausted.
	BusyBaseDelay, BusyMaxDelay time.Duration
	// BusyFirstDelay is the least wait after the first busy answer: the
	// first wait is uniform between it and three times it, the later ones
	// decorrelated jitter from BusyBaseDelay. A short first wait lets a
	// small batch of jobs, a burst just past the rate, finish in about the
	// time the rate allows; the crowd of a big batch spreads out from the
	// second wait on. Zero means BusyBaseDelay.
	BusyFirstDelay time.Duration
	// MaxRetryAfter caps what a server's Retry-After header can ask for.
	MaxRetryAfter time.Duration
	// KeyPropagationAttempts caps attempts on an InvalidIdentityToken that
	// is neither settled nor about fetching keys.
	KeyPropagationAttempts int
	// LogEvery spaces the warning lines of one exchange: a failed attempt
	// is a warning when it is the first, when its code differs from the
	// last warning's, or when LogEvery has passed since that warning; the
	// others are debug lines. So a job's log shows one line per round of
	// retries however many attempts a busy STS takes, and --debug shows
	// every attempt.
	LogEvery time.Duration
	// Sleep waits for d or until ctx is done; injected by tests.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a random duration in [0, d); injected by tests.
	Jitter func(d time.Duration) time.Duration
	// Now is the clock, for the deadline arithmetic; injected by tests.
	Now func() time.Time
}

// DefaultRetry is what the CLI starts from. The busy backoff's figures come
// from the simulation in loadsim_test.go (`make bench-sim`) and the load
// benchmark (`make bench-load`): 100 jobs started together against a rate
// of 5 requests per second all get credentials, in less than twice the
// time the rate allows, at less than 4.5 requests per job. A longer base
// wait asks less often but makes every throttled job wait longer; a longer
// cap saves few requests and leaves the last jobs waiting while the rate has
// room again (simulated, 100 jobs: the last done at up to 2.1 times the
// ideal with a 20s cap, 2.9 with 60s, 1.65 with 10s). The short first wait
// lets a small batch finish in about the time the rate allows (5 jobs: 1.8
// times the ideal, 5 with a 2s first wait) for 0.7 more requests per job at
// 100 jobs; a shorter base too would pass 4.5 (BENCHMARKS.md).
func DefaultRetry() Retry {
	return Retry{
		MaxAttempts:            5,
		AttemptTimeout:         10 * time.Second,
		BaseDelay:              500 * time.Millisecond,
		MaxDelay:               8 * time.Second,
		BusyFirstDelay:         500 * time.Millisecond,
		BusyBaseDelay:          2 * time.Second,
		BusyMaxDelay:           10 * time.Second,
		MaxRetryAfter:          20 * time.Second,
		KeyPropagationAttempts: 2,
		LogEvery:               10 * time.Second,
		Sleep:                  sleep,
		Jitter:                 fullJitter,
		Now:                    time.Now,
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func fullJitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d)
}

func now(r Retry) time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

// Run calls call with the retry rule of every STS operation (see
// withRetries) and returns the number of attempts made. op names the
// operation in errors and log lines. A failure is an *Error.
func (r Retry) Run(ctx context.Context, log *slog.Logger, op string, call func(context.Context) error) (int, error) {
	return withRetries(ctx, r, log, op, "", time.Time{}, call)
}

// withRetries runs call until it succeeds, a permanent error comes back, the
// attempts run out or ctx ends, and returns the number of attempts made.
// Every STS operation of the tool shares this one rule. secret is scrubbed
// from every error. tokenEnd (zero: none) is the expiry of the token the
// call sends: no attempt is made within TokenMargin of it.
func withRetries(ctx context.Context, retry Retry, log *slog.Logger, op, secret string, tokenEnd time.Time, call func(context.Context) error) (int, error) {
	if retry.MaxAttempts < 1 {
		retry.MaxAttempts = 1
	}
	r := &retrier{Retry: retry, log: log, op: op, secret: secret, tokenEnd: tokenEnd, lines: retryLog{service: service(op)}}
	for attempt := 1; ; attempt++ {
		err := once(ctx, retry.AttemptTimeout, call)
		if err == nil {
			return attempt, nil
		}
		code, class := Classify(err)
		if e := r.failed(ctx, failure{attempt: attempt, err: err, code: code, class: class}); e != nil {
			return attempt, e
		}
	}
}

// failure is one failed attempt, classified.
type failure struct {
	attempt int
	err     error
	code    string
	class   Class
}

// retrier is the state of one run of withRetries.
type retrier struct {
	Retry
	log        *slog.Logger
	op, secret string
	tokenEnd   time.Time
	lines      retryLog

	counted     int           // failed attempts that count against MaxAttempts
	keyAttempts int           // of those, InvalidIdentityToken answers
	busyDelay   time.Duration // the last wait after a busy answer
	lastChance  bool          // the next attempt is the last before the end
	// last is the failure of the last attempt that was retried (err nil:
	// none yet).
	last failure
}

// failed decides what follows a failed attempt: it waits for the next one
// and returns nil, or returns the error that ends the run.
func (r *retrier) failed(ctx context.Context, f failure) *Error {
	if e := r.interrupted(ctx, f); e != nil {
		return e
	}
	// An answer that came as the deadline passed is still an answer: the
	// rules below end the run with it, a busy or transient one with the
	// deadline (no time is left to wait).
	busy := f.class != Permanent && Busy(f.err)
	delay, e := r.nextDelay(f, busy)
	if e != nil {
		return e
	}
	now := r.Now()
	if after := retryAfter(f.err, now); after > delay {
		// The server said when to come back: sooner only asks to be
		// turned away again.
		delay = min(after, max(r.MaxRetryAfter, delay))
	}
	delay, left, e := r.fit(ctx, f, now, delay)
	if e != nil {
		return e
	}
	r.lines.log(r.log, r.Retry, f.attempt, f.code, busy, r.counted, delay, left)
	r.last = f
	return r.wait(ctx, f, delay)
}

// interrupted is the error of an attempt that ctx ended, nil for any other.
func (r *retrier) interrupted(ctx context.Context, f failure) *Error {
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		// A signal ended the attempt, or came as its answer did: that is
		// what the user must hear about (exit 1), not the answer.
		return r.fail(failure{attempt: f.attempt, err: ctx.Err(), code: "canceled", class: Permanent}, false)
	case ctx.Err() != nil && f.code == codeTimeout && r.last.err != nil:
		// The overall deadline cut the attempt short: it got no answer, so
		// the answers before it say what went wrong. Which attempt the
		// deadline falls in is the machine's timing, not STS's: an issuer
		// AWS cannot reach is a refusal (exit 4) whether the deadline ends
		// a wait or an attempt.
		last := r.last
		last.attempt = f.attempt
		return r.fail(last, true)
	case ctx.Err() != nil && f.code == codeTimeout:
		// The deadline ended the first attempt: no answer at all.
		f.class = Transient
		return r.fail(f, true)
	}
	return nil
}

// nextDelay is the wait before the next attempt by the kind of failure, or
// the error when the failure is not retried (permanent, or the attempts
// that count are used up).
func (r *retrier) nextDelay(f failure, busy bool) (time.Duration, *Error) {
	switch {
	case busy:
		r.busyDelay = r.busyBackoff(r.busyDelay)
		return r.busyDelay, nil
	case f.class == Transient || f.class == KeyPropagation:
		r.counted++
		if f.class == KeyPropagation {
			r.keyAttempts++
		}
		if r.counted >= r.MaxAttempts || (f.class == KeyPropagation && r.keyAttempts >= r.KeyPropagationAttempts) {
			return 0, r.fail(f, false)
		}
		return r.Jitter(backoff(r.Retry, r.counted)), nil
	default:
		return 0, r.fail(f, false)
	}
}

// fit shortens delay so that one last attempt still fits before the end of
// the retries: ctx's deadline, or the token's expiry when that comes
// first, as STS refuses an expired token. It returns the time left (-1:
// no end), or the error when even the last attempt that fitted failed.
func (r *retrier) fit(ctx context.Context, f failure, now time.Time, delay time.Duration) (time.Duration, time.Duration, *Error) {
	end, hasEnd := ctx.Deadline()
	byToken := false
	if !r.tokenEnd.IsZero() {
		if t := r.tokenEnd.Add(-TokenMargin); !hasEnd || t.Before(end) {
			end, hasEnd, byToken = t, true, true
		}
	}
	if !hasEnd {
		return delay, -1, nil
	}
	left := end.Sub(now)
	// The last attempt gets a second, or less when the attempt timeout or
	// the time left is short.
	room := min(lastAttemptRoom, max(r.AttemptTimeout, time.Millisecond), left/2)
	if delay <= left-room {
		return delay, left, nil
	}
	if r.lastChance || left <= 0 {
		// The last attempt that fitted failed too.
		e := r.fail(f, !byToken)
		e.TokenExpired = byToken
		return 0, 0, e
	}
	// Waiting the whole backoff would pass the end: wait less, so that one
	// last attempt still fits before it.
	r.lastChance = true
	return left - room, left, nil
}

// wait sleeps delay before the next attempt; ctx ending meanwhile ends the
// run.
func (r *retrier) wait(ctx context.Context, f failure, delay time.Duration) *Error {
	err := r.Sleep(ctx, delay)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled):
		// Stopped while waiting to retry: the same failure as being stopped
		// mid-attempt, not one more transient STS error.
		return r.fail(failure{attempt: f.attempt, err: err, code: "canceled", class: Permanent}, false)
	default:
		// The deadline came during the wait: the attempt's own error says
		// what went wrong.
		return r.fail(f, errors.Is(err, context.DeadlineExceeded))
	}
}

// fail is the error that ends the run with f; deadline says the overall
// deadline ended it.
func (r *retrier) fail(f failure, deadline bool) *Error {
	e := newError(f.err, f.code, f.class, f.attempt, r.secret, deadline)
	e.Op = r.op
	e.Busy = Busy(f.err)
	return e
}

// retryAfter is the wait a Retry-After header of err's answer asks for, in
// seconds or as an HTTP date; zero when there is none.
func retryAfter(err error, now time.Time) time.Duration {
	var re *smithyhttp.ResponseError
	if !errors.As(err, &re) || re.Response == nil || re.Response.Response == nil {
		return 0
	}
	v := strings.TrimSpace(re.Response.Header.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		return time.Duration(max(n, 0)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// busyBackoff is the wait after a busy answer, given the last one (zero at
// first): decorrelated jitter, uniform between BusyBaseDelay and three times
// the last wait, capped at BusyMaxDelay. Unlike a schedule fixed by the
// attempt number, each caller's waits wander independently of the others',
// so callers that were throttled together do not come back together.
// (AWS Architecture Blog, "Exponential Backoff And Jitter".)
func (r Retry) busyBackoff(last time.Duration) time.Duration {
	if last == 0 && r.BusyFirstDelay > 0 {
		first := min(r.BusyFirstDelay, r.BusyMaxDelay)
		return min(first+r.Jitter(2*first), r.BusyMaxDelay)
	}
	base := max(r.BusyBaseDelay, time.Millisecond)
	ceiling := max(r.BusyMaxDelay, base)
	upper := min(max(last, base)*3, ceiling)
	return min(base+r.Jitter(upper-base), ceiling)
}

// service names the AWS service of an operation: S3 for Retry.Run's
// "S3 HeadBucket" and such, STS for every other.
func service(op string) string {
	if strings.HasPrefix(op, "S3 ") {
		return "S3"
	}
	return "STS"
}

// retryLog writes one warning line per round of retries and a debug line
// for every other failed attempt (see Retry.LogEvery).
type retryLog struct {
	service string // STS or S3, whose busy answers these are
	warned  bool
	at      time.Time // of the last warning
	code    string    // of the last warning
	hidden  int       // debug-only attempts since the last warning
}

func (l *retryLog) log(log *slog.Logger, retry Retry, attempt int, code string, busy bool, counted int, delay, left time.Duration) {
	now := retry.Now()
	var b strings.Builder
	if busy {
		fmt.Fprintf(&b, "attempt %d failed: %s; retrying in %s (%s is busy: retrying until the deadline", attempt, code, delay.Round(time.Millisecond), l.service)
		if left >= 0 {
			fmt.Fprintf(&b, ", %s left", left.Round(time.Second))
		}
		b.WriteString(")")
	} else {
		// Only these failures count against MaxAttempts; the busy ones
		// in between do not, so the attempt number is no guide.
		fmt.Fprintf(&b, "attempt %d failed: %s; retrying in %s (failure %d of at most %d that are not %s being busy)",
			attempt, code, delay.Round(time.Millisecond), counted, retry.MaxAttempts, l.service)
	}
	if l.warned && code == l.code && now.Sub(l.at) < retry.LogEvery {
		l.hidden++
		log.Debug(b.String())
		return
	}
	switch {
	case l.hidden == 1:
		b.WriteString("; 1 more failed attempt since the last warning")
	case l.hidden > 1:
		fmt.Fprintf(&b, "; %d more failed attempts since the last warning", l.hidden)
	}
	log.Warn(b.String())
	l.warned, l.at, l.code, l.hidden = true, now, code, 0
}

func once(ctx context.Context, timeout time.Duration, call func(context.Context) error) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	return call(ctx)
}

// backoff is the capped exponential ceiling for the wait after attempt n.
func backoff(r Retry, n int) time.Duration {
	d := r.BaseDelay
	for i := 1; i < n && d < r.MaxDelay; i++ {
		d *= 2
	}
	return min(d, r.MaxDelay)
}
