// Command faultproxy runs package faultproxy as a process, so that a test can
// put it in the network namespace of the peer it fronts:
//
//	faultproxy -upstream http://127.0.0.1:8333 -fault throttling -count 2 -addr-file D/addr
//	faultproxy ... -fault invalid-identity-token -count 1 -then slow -delay 1m
//	faultproxy ... -fault tls-cut -tls-cert tls.crt -tls-key tls.key
//	faultproxy ... -fault tls-untrusted -tls-cert ... -untrusted-cert u.crt -untrusted-key u.key
//
// It listens on -listen (port 0 picks a free one), writes the address it got
// to -addr-file once it accepts connections, and logs one line per request
// to stderr, never a body.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/tests/faultproxy"
	"gitlab.com/aws-oidc/aws-oidc/tests/relay"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "faultproxy: error:", err)
		os.Exit(1)
	}
}

func run() error {
	names := make([]string, len(faultproxy.Faults))
	for i, f := range faultproxy.Faults {
		names[i] = string(f)
	}
	var (
		listen        = flag.String("listen", "127.0.0.1:0", "address to listen on")
		addrFile      = flag.String("addr-file", "", "write the address listened on to this file")
		upstream      = flag.String("upstream", "", "the real peer's URL")
		fault         = flag.String("fault", "none", "fault: "+strings.Join(names, ", "))
		count         = flag.Int("count", 1, "how many requests (connections for tls-*) get the fault; -1 for all")
		then          = flag.String("then", "none", "the fault of every request after the first -count (none passes them through)")
		delay         = flag.Duration("delay", 5*time.Second, "how long a slow answer is held back")
		seed          = flag.Uint64("seed", 1, "seed of the chaos fault's picks")
		certFile      = flag.String("tls-cert", "", "serve https with this certificate chain (PEM)")
		keyFile       = flag.String("tls-key", "", "key of -tls-cert")
		untrustedCert = flag.String("untrusted-cert", "", "certificate presented during a tls-untrusted fault")
		untrustedKey  = flag.String("untrusted-key", "", "key of -untrusted-cert")
		secretsFile   = flag.String("secrets-file", "", "append every credential secret forwarded to this file")
	)
	flag.Parse()

	f, err := faultproxy.ParseFault(*fault)
	if err != nil {
		return err
	}
	thenFault, err := faultproxy.ParseFault(*then)
	if err != nil {
		return err
	}
	up, err := relay.ParseUpstream(*upstream)
	if err != nil {
		return err
	}
	cfg := faultproxy.Config{Upstream: up, Fault: f, Count: *count, Then: thenFault, Delay: *delay, Seed: *seed, Log: stamped{os.Stderr}}
	if *certFile != "" {
		if cfg.Certificate, err = loadPair(*certFile, *keyFile); err != nil {
			return err
		}
	}
	if *untrustedCert != "" {
		if cfg.Untrusted, err = loadPair(*untrustedCert, *untrustedKey); err != nil {
			return err
		}
	}
	if *secretsFile != "" {
		sf, err := relay.Append(*secretsFile)
		if err != nil {
			return err
		}
		defer sf.Close()
		cfg.Secrets = sf
	}
	p, err := faultproxy.New(cfg)
	if err != nil {
		return err
	}

	l, err := relay.Listen(*listen, *addrFile)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "faultproxy: %s on %s -> %s (fault %s, count %d, then %s)\n",
		map[bool]string{true: "https", false: "http"}[cfg.Certificate != nil], l.Addr(), up, f, *count, thenFault)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		l.Close()
	}()
	if err := p.Serve(l); err != nil && !errors.Is(err, net.ErrClosed) && ctx.Err() == nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "faultproxy: stopped after spoiling %d\n", p.Spoiled())
	return nil
}

// stamped ends each line of the request log with the time it was written
// (" at <RFC 3339>"), so that a test can tell when the first request came.
type stamped struct{ w io.Writer }

func (s stamped) Write(p []byte) (int, error) {
	line := strings.TrimSuffix(string(p), "\n")
	if _, err := fmt.Fprintf(s.w, "%s at %s\n", line, time.Now().Format(time.RFC3339Nano)); err != nil {
		return 0, err
	}
	return len(p), nil
}

func loadPair(cert, key string) (*tls.Certificate, error) {
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		return nil, fmt.Errorf("failed to load certificate %q: %w", cert, err)
	}
	return &pair, nil
}
