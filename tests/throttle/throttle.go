// Package throttle is an STS front for load tests: a reverse proxy before a
// real STS peer that holds every caller to one shared request rate, as AWS
// holds each account and region (REFERENCE.md §7). A request within the rate
// is forwarded; one over it is answered the way STS answers, HTTP 400 with
// the Query protocol's `Throttling` "Rate exceeded" error, and never reaches
// the peer. The front counts forwarded and throttled requests by STS action.
//
// The rate is a token bucket (Bucket) that takes the time as an argument, so
// that the simulation of the retry policy (src/internal/exchange) holds its
// virtual callers to the very same rule.
package throttle

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/tests/relay"
)

// Bucket is a token bucket: it holds at most Burst tokens, gains Rate tokens
// a second, and each request takes one or is refused. It starts full.
type Bucket struct {
	rate  float64
	burst float64

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

// NewBucket returns a full bucket of burst tokens refilled at rate per second.
func NewBucket(rate float64, burst int) *Bucket {
	return &Bucket{rate: rate, burst: float64(burst), tokens: float64(burst)}
}

// Take reports whether a request arriving at now is within the rate, and
// if so uses a token. Times earlier than the last one seen count as the last.
func (b *Bucket) Take(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.last.IsZero() && now.After(b.last) {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	if b.last.IsZero() || now.After(b.last) {
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// Count is what happened to the requests of one action.
type Count struct {
	Forwarded int `json:"forwarded"`
	Throttled int `json:"throttled"`
}

// Counts are by STS action ("AssumeRoleWithWebIdentity"); a request whose
// action cannot be read counts under "".
type Counts map[string]Count

// Total sums every action.
func (c Counts) Total() Count {
	var t Count
	for _, n := range c {
		t.Forwarded += n.Forwarded
		t.Throttled += n.Throttled
	}
	return t
}

// String lists the actions in order, for logs.
func (c Counts) String() string {
	var actions []string
	for a := range c {
		actions = append(actions, a)
	}
	sort.Strings(actions)
	var b strings.Builder
	for i, a := range actions {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s: %d forwarded, %d throttled", orNone(a), c[a].Forwarded, c[a].Throttled)
	}
	return b.String()
}

func orNone(action string) string {
	if action == "" {
		return "(no action)"
	}
	return action
}

// Config is what a Front does.
type Config struct {
	// Upstream is the real peer's base URL.
	Upstream *url.URL
	// Rate is the requests per second all callers share; Burst how many
	// may come at once after a quiet spell.
	Rate  float64
	Burst int
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Secrets receives, one a line, every secret access key and session
	// token the peer handed out, for a test's leak scan.
	Secrets io.Writer
	// Log receives one line per request: never a body.
	Log io.Writer
	// Busy is how a request over the rate is answered: "throttling" (the
	// default) is STS's 400 Throttling; "503" is 503 ServiceUnavailable,
	// what AWS answers under load, with RetryAfter seconds as Retry-After
	// when set.
	Busy       string
	RetryAfter int
}

// Front serves one Config.
type Front struct {
	cfg      Config
	bucket   *Bucket
	upstream *relay.Upstream

	mu     sync.Mutex // guards counts, n and writes to Log
	counts Counts
	n      int
}

// New checks cfg and returns a front for it.
func New(cfg Config) (*Front, error) {
	if cfg.Upstream == nil {
		return nil, fmt.Errorf("no upstream")
	}
	switch cfg.Busy {
	case "", "throttling", "503":
	default:
		return nil, fmt.Errorf("busy answer %q: want throttling or 503", cfg.Busy)
	}
	if cfg.Rate <= 0 || cfg.Burst < 1 {
		return nil, fmt.Errorf("rate %g and burst %d: want a positive rate and a burst of at least 1", cfg.Rate, cfg.Burst)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	return &Front{cfg: cfg, bucket: NewBucket(cfg.Rate, cfg.Burst), counts: Counts{},
		upstream: &relay.Upstream{URL: cfg.Upstream, Client: client, KeepHost: true, Secrets: cfg.Secrets}}, nil
}

// Counts returns a copy of the counts so far.
func (f *Front) Counts() Counts {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := Counts{}
	for a, n := range f.counts {
		c[a] = n
	}
	return c
}

// ServeHTTP forwards r if the bucket has a token, else throttles it.
func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
		return
	}
	action := actionOf(r, body)
	ok := f.bucket.Take(f.cfg.Now())
	f.mu.Lock()
	f.n++
	n, c := f.n, f.counts[action]
	if ok {
		c.Forwarded++
	} else {
		c.Throttled++
	}
	f.counts[action] = c
	fmt.Fprintf(f.cfg.Log, "request %d: %s %s, %s\n", n, r.Method, orNone(action), map[bool]string{true: "forwarded", false: "throttled"}[ok])
	f.mu.Unlock()
	if !ok {
		if f.cfg.Busy == "503" {
			unavailable(w, f.cfg.RetryAfter)
		} else {
			throttled(w)
		}
		return
	}
	status, header, answer, err := f.upstream.Forward(r, body)
	if err != nil {
		f.mu.Lock()
		fmt.Fprintf(f.cfg.Log, "request %d: upstream failed: %v\n", n, err)
		f.mu.Unlock()
		http.Error(w, "upstream failed", http.StatusBadGateway)
		return
	}
	relay.Reply(w, status, header, answer)
}

// actionOf reads the Query protocol's Action, from the form body the SDKs
// and the AWS CLI send or from the URL.
func actionOf(r *http.Request, body []byte) string {
	if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Action") != "" {
		return form.Get("Action")
	}
	return r.URL.Query().Get("Action")
}

// throttled answers as STS does when an account is over its request rate.
func throttled(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprint(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>Throttling</Code>
    <Message>Rate exceeded</Message>
  </Error>
  <RequestId>5d1f4c36-0000-4000-8000-throttlefront</RequestId>
</ErrorResponse>
`)
}

// unavailable answers as AWS does when a service is overloaded.
func unavailable(w http.ResponseWriter, retryAfter int) {
	w.Header().Set("Content-Type", "text/xml")
	if retryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(retryAfter))
	}
	w.WriteHeader(http.StatusServiceUnavailable)
	fmt.Fprint(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Receiver</Type>
    <Code>ServiceUnavailable</Code>
    <Message>Service is unable to handle request.</Message>
  </Error>
  <RequestId>5d1f4c36-0000-4000-8000-throttlefront</RequestId>
</ErrorResponse>
`)
}
