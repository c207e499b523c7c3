// Command throttle-front runs package throttle as a process, so that a test
// or a benchmark can put it in the network namespace of the peer it fronts:
//
//	throttle-front -upstream http://127.0.0.1:8333 -rate 5 -burst 2 -addr-file D/addr -counts-file D/counts.json
//
// It listens on -listen (port 0 picks a free one), writes the address it got
// to -addr-file once it accepts connections, logs one line per request to
// stderr (never a body), and on SIGTERM or SIGINT writes the counts of
// forwarded and throttled requests by action to -counts-file as JSON.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/tests/relay"
	"gitlab.com/aws-oidc/aws-oidc/tests/throttle"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "throttle-front: error:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		listen      = flag.String("listen", "127.0.0.1:0", "address to listen on")
		addrFile    = flag.String("addr-file", "", "write the address listened on to this file")
		upstream    = flag.String("upstream", "", "the real peer's URL")
		rate        = flag.Float64("rate", 5, "requests per second shared by all callers")
		burst       = flag.Int("burst", 2, "requests the bucket holds after a quiet spell")
		countsFile  = flag.String("counts-file", "", "write the counts by action here (JSON) when stopped")
		secretsFile = flag.String("secrets-file", "", "append every credential secret forwarded to this file")
		busy        = flag.String("busy", "throttling", "answer to a request over the rate: throttling (STS's 400 Throttling) or 503 (ServiceUnavailable)")
		retryAfter  = flag.Int("retry-after", 0, "with -busy 503, send Retry-After: this many seconds")
	)
	flag.Parse()

	up, err := relay.ParseUpstream(*upstream)
	if err != nil {
		return err
	}
	cfg := throttle.Config{Upstream: up, Rate: *rate, Burst: *burst, Log: os.Stderr, Busy: *busy, RetryAfter: *retryAfter}
	if *secretsFile != "" {
		sf, err := relay.Append(*secretsFile)
		if err != nil {
			return err
		}
		defer sf.Close()
		cfg.Secrets = sf
	}
	front, err := throttle.New(cfg)
	if err != nil {
		return err
	}

	l, err := relay.Listen(*listen, *addrFile)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "throttle-front: http on %s -> %s (%g requests/s, burst %d)\n", l.Addr(), up, *rate, *burst)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := &http.Server{Handler: front, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	counts := front.Counts()
	fmt.Fprintf(os.Stderr, "throttle-front: stopped; %s\n", counts)
	if *countsFile == "" {
		return nil
	}
	data, err := json.Marshal(counts)
	if err != nil {
		return err
	}
	return relay.WriteFile(*countsFile, data)
}
