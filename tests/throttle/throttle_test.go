package throttle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"gitlab.com/aws-oidc/aws-oidc/tests/harness"
)

func TestBucket(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	b := NewBucket(5, 2)
	var got []bool
	// The burst, then nothing until a token has come back (200ms at 5/s),
	// one at a time; a quiet spell refills no more than the burst.
	for _, ms := range []int{0, 0, 0, 100, 200, 250, 400, 5000, 5000, 5000} {
		got = append(got, b.Take(at(ms)))
	}
	want := []bool{true, true, false, false, true, false, true, true, true, false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Take (-want +got):\n%s", diff)
	}
	// A time before the last one seen counts as the last: no tokens from
	// a clock that goes back.
	if b.Take(at(4000)) {
		t.Errorf("a request from the past got a token")
	}
}

// TestFront sends concurrent requests through the front with a stopped
// clock: exactly the burst reaches the peer, the rest get STS's Throttling
// error, which the AWS SDK reads as such, and the counts say so by action.
func TestFront(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var upstreamActions []string
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		mu.Lock()
		upstreamActions = append(upstreamActions, form.Get("Action"))
		mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>`+
			`<Arn>arn:aws:iam::123456789012:user/x</Arn><UserId>X</UserId><Account>123456789012</Account></GetCallerIdentityResult>`+
			`<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
	}))
	t.Cleanup(peer.Close)
	up, _ := url.Parse(peer.URL)
	var log harness.SyncBuffer
	stopped := time.Unix(1000, 0)
	front, err := New(Config{Upstream: up, Rate: 5, Burst: 2, Now: func() time.Time { return stopped }, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(front)
	t.Cleanup(srv.Close)

	client := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: aws.AnonymousCredentials{},
		Retryer: aws.NopRetryer{}})
	const n = 7
	codes := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
			var api smithy.APIError
			switch {
			case err == nil:
				codes[i] = "ok"
			case errors.As(err, &api):
				codes[i] = api.ErrorCode() + ": " + api.ErrorMessage()
			default:
				codes[i] = err.Error()
			}
		}()
	}
	wg.Wait()
	tally := map[string]int{}
	for _, c := range codes {
		tally[c]++
	}
	if diff := cmp.Diff(map[string]int{"ok": 2, "Throttling: Rate exceeded": 5}, tally); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Counts{"GetCallerIdentity": {Forwarded: 2, Throttled: 5}}, front.Counts()); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	if len(upstreamActions) != 2 {
		t.Errorf("the peer saw %d requests, want the 2 forwarded", len(upstreamActions))
	}
	if got := strings.Count(log.String(), "\n"); got != n {
		t.Errorf("%d log lines, want one per request:\n%s", got, log.String())
	}
}
