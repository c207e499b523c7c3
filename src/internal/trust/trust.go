// Package trust owns how the tool's HTTP clients reach out: which
// certificate authorities they trust (the system's, plus a PEM bundle the
// user names for a private CA: a VPC endpoint behind a TLS-inspecting proxy,
// an STS-compatible server), and which proxy they go through (HTTP_PROXY,
// HTTPS_PROXY and NO_PROXY, read from the environment the command was given,
// not from the process's, so tests and callers decide).
//
// On Linux it reads the system's one CA bundle file, as curl and the AWS CLI
// do, instead of letting crypto/x509 also parse every file under
// /etc/ssl/certs: on Debian that scan costs about 6 ms per run, as much as
// the STS call itself, for the same certificates. SSL_CERT_FILE and
// SSL_CERT_DIR keep Go's own behaviour when set.
package trust

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"sync"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/atomicfile"
)

// systemBundles are the places Linux distributions keep their one CA bundle,
// in crypto/x509's order.
var systemBundles = []string{
	"/etc/ssl/certs/ca-certificates.crt",                // Debian, Ubuntu, Alpine's ca-certificates, Gentoo
	"/etc/pki/tls/certs/ca-bundle.crt",                  // Fedora, RHEL 6
	"/etc/ssl/ca-bundle.pem",                            // openSUSE
	"/etc/pki/tls/cacert.pem",                           // OpenELEC
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS, RHEL 7
	"/etc/ssl/cert.pem",                                 // Alpine
}

// BundleError is a CA bundle that cannot be used.
type BundleError struct {
	Path string
	Msg  string
}

func (e *BundleError) Error() string { return fmt.Sprintf("invalid CA bundle %q: %s", e.Path, e.Msg) }

// MaxBundleBytes bounds what is read of a CA bundle: the whole Mozilla
// set is about 220 KB.
const MaxBundleBytes = 4 << 20

// readBundle reads a bundle file the user named: a regular file of at most
// MaxBundleBytes, read before ctx ends.
func readBundle(ctx context.Context, bundle string) ([]byte, error) {
	pem, err := atomicfile.ReadInput(ctx, bundle, MaxBundleBytes)
	if err != nil {
		var refused *atomicfile.RefusedError
		if errors.As(err, &refused) {
			return nil, &BundleError{Path: bundle, Msg: refused.Detail}
		}
		return nil, &BundleError{Path: bundle, Msg: err.Error()}
	}
	return pem, nil
}

// Roots returns the pool to trust, or nil for crypto/x509's default. bundle,
// when not empty, is a PEM file whose certificates are trusted in addition to
// the system's.
func Roots(ctx context.Context, getenv func(string) string, bundle string) (*x509.CertPool, error) {
	pool := systemPool(getenv)
	if bundle == "" {
		return pool, nil
	}
	pem, err := readBundle(ctx, bundle)
	if err != nil {
		return nil, err
	}
	if pool == nil {
		if pool, err = x509.SystemCertPool(); err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, &BundleError{Path: bundle, Msg: "it holds no PEM certificate"}
	}
	return pool, nil
}

// systemPool is the system bundle alone, or nil where Go's default should
// decide: outside Linux, when the user set SSL_CERT_FILE or SSL_CERT_DIR, or
// when no bundle file is found.
func systemPool(getenv func(string) string) *x509.CertPool {
	if runtime.GOOS != "linux" || getenv("SSL_CERT_FILE") != "" || getenv("SSL_CERT_DIR") != "" {
		return nil
	}
	for _, path := range systemBundles {
		pem, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		pool := x509.NewCertPool()
		if pool.AppendCertsFromPEM(pem) {
			return pool
		}
	}
	return nil
}

// Client returns an HTTP client that trusts the system's CAs plus those of
// bundle (a PEM file; "" for none), goes through the proxies getenv names
// (see Proxy), with the default transport's timeouts. The bundle is read and checked now; the system's
// CAs are only read when the first https request goes out, so that a run
// against a plain-http endpoint never pays for them.
func Client(ctx context.Context, getenv func(string) string, bundle string) (*http.Client, error) {
	var extra []byte
	if bundle != "" {
		var err error
		if extra, err = readBundle(ctx, bundle); err != nil {
			return nil, err
		}
		if !x509.NewCertPool().AppendCertsFromPEM(extra) {
			return nil, &BundleError{Path: bundle, Msg: "it holds no PEM certificate"}
		}
	}
	proxy, vars := Proxy(getenv), readProxyVars(getenv)
	lt := &lazyTLS{plain: transport(nil, proxy, vars), proxy: proxy, vars: vars}
	lt.roots = func() *x509.CertPool {
		pool := systemPool(getenv)
		if len(extra) == 0 {
			return pool
		}
		if pool == nil {
			var err error
			if pool, err = x509.SystemCertPool(); err != nil || pool == nil {
				pool = x509.NewCertPool()
			}
		}
		pool.AppendCertsFromPEM(extra)
		return pool
	}
	return &http.Client{Transport: lt}, nil
}

// ClientFor returns an HTTP client that trusts roots (nil: the default) and
// goes through the proxies getenv names.
func ClientFor(getenv func(string) string, roots *x509.CertPool) *http.Client {
	proxy, vars := Proxy(getenv), readProxyVars(getenv)
	t := transport(roots, proxy, vars)
	if proxy == nil {
		return &http.Client{Transport: t}
	}
	return &http.Client{Transport: proxied{t, proxy, vars}}
}

func transport(roots *x509.CertPool, proxy ProxyFunc, vars proxyVars) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	// The clone's proxy reads the process environment once; ours reads the
	// environment the command was given.
	t.Proxy = proxy
	t.OnProxyConnectResponse = refusedTunnel(vars)
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots}
	return t
}

// lazyTLS sends http requests through plain and builds the https transport,
// with its roots, on the first https request.
type lazyTLS struct {
	plain *http.Transport
	roots func() *x509.CertPool
	proxy ProxyFunc
	vars  proxyVars

	once   sync.Once
	secure *http.Transport
}

func (l *lazyTLS) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "https" {
		return proxied{l.plain, l.proxy, l.vars}.RoundTrip(req)
	}
	l.once.Do(func() { l.secure = transport(l.roots(), l.proxy, l.vars) })
	return proxied{l.secure, l.proxy, l.vars}.RoundTrip(req)
}
