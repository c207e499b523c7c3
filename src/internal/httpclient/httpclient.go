// Package httpclient owns how the tool's HTTP clients reach out: which
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
// SSL_CERT_DIR are honoured as crypto/x509 honours them, but read by our
// bounded reader, never past the deadline.
package httpclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
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
	// Var is the variable that named the file (SSL_CERT_FILE,
	// SSL_CERT_DIR); "" for a --ca-bundle.
	Var string
	Msg string
}

func (e *BundleError) Error() string {
	if e.Var != "" {
		return fmt.Sprintf("invalid system certificates %s=%q: %s", e.Var, e.Path, e.Msg)
	}
	return fmt.Sprintf("invalid CA bundle %q: %s", e.Path, e.Msg)
}

// Hint says what to do about a system certificates variable; a
// --ca-bundle's hint comes with its flag.
func (e *BundleError) Hint() string {
	return e.HintFor(func(name string) string { return "--" + name })
}

// HintFor is Hint naming the tool's settings by flag, which is given a
// flag's name without dashes: "--ca-bundle" on the command line, the
// variable that sets it in the assume-role component.
func (e *BundleError) HintFor(flag func(name string) string) string {
	if e.Var == "" {
		return ""
	}
	return fmt.Sprintf("%s must name regular PEM files of at most %d bytes each (a pipe or a device is never read); "+
		"unset it to use the system's certificates, or give a private CA with %s", e.Var, MaxBundleBytes, flag("ca-bundle"))
}

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
	pool, err := systemPool(ctx, getenv)
	if err != nil {
		return nil, err
	}
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

// systemDirs are crypto/x509's certificate folders on Linux.
var systemDirs = []string{"/etc/ssl/certs", "/etc/pki/tls/certs"}

// maxDirBytes bounds what is read of all the files of the certificate
// folders together (Debian's /etc/ssl/certs is about 600 KB).
const maxDirBytes = 32 << 20

// userSetRoots reports whether the environment names the system's roots
// itself (SSL_CERT_FILE, SSL_CERT_DIR): they are then read, and refused if
// unusable, before anything else happens.
func userSetRoots(getenv func(string) string) bool {
	return runtime.GOOS == "linux" && (getenv("SSL_CERT_FILE") != "" || getenv("SSL_CERT_DIR") != "")
}

// systemPool reads the system's roots the way crypto/x509 does on Linux
// (SSL_CERT_FILE or the first distribution bundle found, then SSL_CERT_DIR
// or the default folders), but with the bounded, regular-file-only reader
// that honours ctx: crypto/x509's own loader opens a named pipe and waits
// for a writer forever, and reads /dev/zero until memory runs out. With
// neither variable set, the distribution's bundle alone is read (the
// folders hold the same certificates, at a cost of about 6 ms). Outside
// Linux it returns nil for crypto/x509's default.
//
// A file or folder a variable names that is not usable (a pipe, a device,
// too large) is a *BundleError; the default places are only skipped.
func systemPool(ctx context.Context, getenv func(string) string) (*x509.CertPool, error) {
	if runtime.GOOS != "linux" {
		return nil, nil
	}
	certFile, certDir := getenv("SSL_CERT_FILE"), getenv("SSL_CERT_DIR")
	pool := x509.NewCertPool()
	files := systemBundles
	if certFile != "" {
		files = []string{certFile}
	}
	found := false
	for _, path := range files {
		pem, err := atomicfile.ReadInput(ctx, path, MaxBundleBytes)
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			if certFile != "" && !errors.Is(err, fs.ErrNotExist) {
				return nil, bundleError("SSL_CERT_FILE", path, err)
			}
			continue
		}
		pool.AppendCertsFromPEM(pem)
		found = true
		break
	}
	if found && certFile == "" && certDir == "" {
		return pool, nil
	}
	dirs := systemDirs
	if certDir != "" {
		dirs = filepath.SplitList(certDir)
	}
	total := 0
	for _, dir := range dirs {
		// Stat first: opening a named pipe to list it would wait for a writer.
		if info, err := os.Stat(dir); err != nil || !info.IsDir() {
			if certDir != "" && err == nil {
				return nil, &BundleError{Path: dir, Var: "SSL_CERT_DIR", Msg: "it is not a directory"}
			}
			continue
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			path := filepath.Join(dir, e.Name())
			pem, err := atomicfile.ReadInput(ctx, path, MaxBundleBytes)
			if err != nil {
				if ctx.Err() != nil {
					return nil, err
				}
				var refused *atomicfile.RefusedError
				if certDir != "" && errors.As(err, &refused) && refused.Reason != atomicfile.ReasonDirectory {
					return nil, bundleError("SSL_CERT_DIR", path, err)
				}
				continue
			}
			if total += len(pem); total > maxDirBytes {
				return nil, &BundleError{Path: dir, Var: "SSL_CERT_DIR",
					Msg: fmt.Sprintf("its files hold more than %d bytes, the most read of certificate folders", maxDirBytes)}
			}
			pool.AppendCertsFromPEM(pem)
		}
	}
	return pool, nil
}

// bundleError turns a refused read into a *BundleError naming the variable.
func bundleError(variable, path string, err error) error {
	var refused *atomicfile.RefusedError
	if errors.As(err, &refused) {
		return &BundleError{Path: path, Var: variable, Msg: refused.Detail}
	}
	return &BundleError{Path: path, Var: variable, Msg: err.Error()}
}

// New returns an HTTP client that trusts the system's CAs plus those of
// bundle (a PEM file; "" for none), goes through the proxies getenv names
// (see Proxy), with the default transport's timeouts. The bundle is read and checked now; the system's
// CAs are only read when the first https request goes out, so that a run
// against a plain-http endpoint never pays for them.
func New(ctx context.Context, getenv func(string) string, bundle string) (*http.Client, error) {
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
	lt.roots = func(ctx context.Context) (*x509.CertPool, error) {
		pool, err := systemPool(ctx, getenv)
		if err != nil || len(extra) == 0 {
			return pool, err
		}
		if pool == nil {
			if pool, err = x509.SystemCertPool(); err != nil || pool == nil {
				pool = x509.NewCertPool()
			}
		}
		pool.AppendCertsFromPEM(extra)
		return pool, nil
	}
	if userSetRoots(getenv) {
		// Named by the user: checked now, so a pipe or a device there is
		// refused before the token is read, not found at the first call.
		pool, err := lt.roots(ctx)
		if err != nil {
			return nil, err
		}
		lt.secure = transport(pool, proxy, vars)
	}
	return &http.Client{Transport: lt}, nil
}

// NewWithRoots returns an HTTP client that trusts roots (nil: the default) and
// goes through the proxies getenv names.
func NewWithRoots(getenv func(string) string, roots *x509.CertPool) *http.Client {
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
	roots func(context.Context) (*x509.CertPool, error)
	proxy ProxyFunc
	vars  proxyVars

	mu     sync.Mutex
	secure *http.Transport
}

func (l *lazyTLS) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "https" {
		return proxied{l.plain, l.proxy, l.vars}.RoundTrip(req)
	}
	secure, err := l.transport(req.Context())
	if err != nil {
		return nil, err
	}
	return proxied{secure, l.proxy, l.vars}.RoundTrip(req)
}

// transport builds the https transport once; a load the request's context
// cut short is tried again by the next request.
func (l *lazyTLS) transport(ctx context.Context) (*http.Transport, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.secure == nil {
		pool, err := l.roots(ctx)
		if err != nil {
			return nil, err
		}
		l.secure = transport(pool, l.proxy, l.vars)
	}
	return l.secure, nil
}
