// Command fake-gitlab runs the test issuer of package fakegitlab as a process:
// it serves a GitLab instance's OIDC discovery and keys (and GitHub's token
// endpoint), and mints tokens with the same key for tests and the demo.
//
//	fake-gitlab keygen -out key.pem
//	fake-gitlab cert -dir D -host 198.18.0.1        (writes tls.crt, tls.key, ca.crt; prints the thumbprint)
//	fake-gitlab serve -key key.pem -issuer https://198.18.0.1 -listen 198.18.0.1:443 -tls-cert D/tls.crt -tls-key D/tls.key
//	fake-gitlab mint -key key.pem -issuer https://198.18.0.1 [-aud A] [-project P] [-ref R] ...
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/tests/fakegitlab"
)

const usage = "usage: fake-gitlab keygen|cert|serve|mint [flags] (-h for each)"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "keygen":
		err = keygen(args)
	case "cert":
		err = cert(args)
	case "serve":
		err = serve(ctx, args)
	case "mint":
		err = mint(args)
	default:
		err = fmt.Errorf("unknown command %q (valid: keygen, cert, serve, mint)", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake-gitlab: error:", err)
		os.Exit(1)
	}
}

func keygen(args []string) error {
	fs := flag.NewFlagSet("keygen", flag.ExitOnError)
	out := fs.String("out", "key.pem", "where to write the signing key")
	_ = fs.Parse(args)
	k, err := fakegitlab.NewKey()
	if err != nil {
		return err
	}
	return k.WriteKey(*out)
}

func cert(args []string) error {
	fs := flag.NewFlagSet("cert", flag.ExitOnError)
	dir := fs.String("dir", ".", "where to write tls.crt (leaf then CA), tls.key and ca.crt")
	var hosts list
	fs.Var(&hosts, "host", "a name or IP the certificate is valid for (repeatable)")
	_ = fs.Parse(args)
	if len(hosts) == 0 {
		return errors.New("at least one -host is required")
	}
	c, err := fakegitlab.NewCertificate(hosts...)
	if err != nil {
		return err
	}
	if _, _, err := c.Write(*dir); err != nil {
		return err
	}
	fmt.Println(c.Thumbprint)
	return nil
}

func issuerFlags(fs *flag.FlagSet) (keyPath, issuer, audience *string) {
	keyPath = fs.String("key", "key.pem", "signing key written by keygen")
	issuer = fs.String("issuer", "", "issuer URL, e.g. https://198.18.0.1 (required)")
	audience = fs.String("audience", "", "default aud (default: the issuer URL, like GitLab)")
	return keyPath, issuer, audience
}

func loadIssuer(keyPath, issuer, audience string) (*fakegitlab.Issuer, error) {
	if issuer == "" {
		return nil, errors.New("-issuer is required")
	}
	k, err := fakegitlab.LoadKey(keyPath)
	if err != nil {
		return nil, err
	}
	return &fakegitlab.Issuer{URL: strings.TrimRight(issuer, "/"), Key: k, Audience: audience}, nil
}

func serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	keyPath, issuerURL, audience := issuerFlags(fs)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	certPath := fs.String("tls-cert", "", "certificate chain (PEM); empty serves plain http")
	keyFile := fs.String("tls-key", "", "certificate key (PEM)")
	ghToken := fs.String("github-request-token", os.Getenv("FAKE_GITLAB_GITHUB_REQUEST_TOKEN"), "bearer token /github/token requires")
	mintedLog := fs.String("minted-log", "", "append every token /github/token hands out to this file (for leak scans)")
	_ = fs.Parse(args)
	iss, err := loadIssuer(*keyPath, *issuerURL, *audience)
	if err != nil {
		return err
	}
	iss.GitHubRequestToken = *ghToken
	if *mintedLog != "" {
		iss.Minted = func(token string) { appendLine(*mintedLog, token) }
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("failed to listen: %w", err)
	}
	srv := &http.Server{Handler: logRequests(iss.Handler()), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	scheme := "http"
	if *certPath != "" {
		scheme = "https"
	}
	// Tests wait for this line to know the server is up.
	fmt.Fprintf(os.Stderr, "fake-gitlab: serving issuer %s on %s://%s\n", iss.URL, scheme, ln.Addr())
	if *certPath != "" {
		err = srv.ServeTLS(ln, *certPath, *keyFile)
	} else {
		err = srv.Serve(ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

func appendLine(path, line string) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake-gitlab: failed to record minted token:", err)
		return
	}
	defer f.Close()
	_, _ = fmt.Fprintln(f, line)
}

// logRequests logs path and status only: the query of /github/token holds no
// secret, but the Authorization header does and is never logged.
func logRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &status{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(rec, r)
		fmt.Fprintf(os.Stderr, "fake-gitlab: %s %s %d\n", r.Method, r.URL.Path, rec.code)
	})
}

type status struct {
	http.ResponseWriter
	code int
}

func (s *status) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

func mint(args []string) error {
	fs := flag.NewFlagSet("mint", flag.ExitOnError)
	keyPath, issuerURL, audience := issuerFlags(fs)
	var aud list
	fs.Var(&aud, "aud", "aud claim (repeatable; default: -audience, else the issuer URL)")
	lifetime := fs.String("lifetime", "", "exp - iat, seconds or Go duration (default 5m)")
	shift := fs.String("clock-shift", "", "move iat/nbf/exp: -1h for expired, 1h for not yet valid")
	var o fakegitlab.Options
	fs.StringVar(&o.ProjectPath, "project", "", "project path (default mygroup/myproject)")
	fs.StringVar(&o.Ref, "ref", "", "ref (default main)")
	fs.StringVar(&o.RefType, "ref-type", "", "branch or tag (default branch)")
	fs.StringVar(&o.Environment, "environment", "", "deployment environment")
	fs.StringVar(&o.Issuer, "iss", "", "override the iss claim")
	otherKey := fs.Bool("other-key", false, "sign with a fresh key the issuer does not publish")
	fs.BoolVar(&o.AlgNone, "alg-none", false, "make an unsigned token (alg none)")
	github := fs.String("github-audience", "", "mint a GitHub Actions token for this audience instead")
	_ = fs.Parse(args)
	iss, err := loadIssuer(*keyPath, *issuerURL, *audience)
	if err != nil {
		return err
	}
	o.Audience = aud
	if o.Lifetime, err = fakegitlab.ParseDuration(*lifetime); err != nil {
		return err
	}
	if o.ClockShift, err = fakegitlab.ParseDuration(*shift); err != nil {
		return err
	}
	if *otherKey {
		if o.SignWith, err = fakegitlab.NewKey(); err != nil {
			return err
		}
	}
	var token string
	if *github != "" {
		token, err = iss.MintGitHub(*github, o)
	} else {
		token, err = iss.Mint(o)
	}
	if err != nil {
		return err
	}
	fmt.Println(token)
	return nil
}

// list is a repeatable string flag.
type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }
