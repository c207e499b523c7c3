// Package relay is what the test fronts of an STS peer share
// (tests/faultproxy, tests/throttle, and the listening part of
// tests/fwdproxy): passing a request on to the peer and noting the
// credentials of its answer for the tests' leak scan, and the command-line
// plumbing of a front run as a process (listen and say where, append to a
// log, write a file a waiting test may read).
package relay

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
)

// Upstream is the peer a front forwards to.
type Upstream struct {
	URL    *url.URL
	Client *http.Client
	// KeepHost sends the Host the client asked for (and signed, with
	// SigV4) instead of the peer's: a signed call such as
	// GetCallerIdentity fails the peer's check under the peer's own.
	KeepHost bool
	// Secrets receives, one a line, every secret access key and session
	// token in the peer's answers, so that a test can scan the client's
	// output for credentials it never got whole (a cut or garbled answer
	// still carries them). Nil discards them.
	Secrets io.Writer

	mu sync.Mutex // guards writes to Secrets
}

// Forward sends r, whose body was read as body, to the same path and query
// under the peer, and reads the whole answer. The answer's header comes
// without the framing fields (Content-Length, Connection,
// Transfer-Encoding) the front sets itself.
func (u *Upstream) Forward(r *http.Request, body []byte) (status int, header http.Header, answer []byte, err error) {
	target := *u.URL
	target.Path = strings.TrimSuffix(target.Path, "/") + r.URL.Path
	target.RawQuery = r.URL.RawQuery
	out, err := http.NewRequestWithContext(r.Context(), r.Method, target.String(), bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	for k, vs := range r.Header {
		out.Header[k] = vs
	}
	if u.KeepHost {
		out.Host = r.Host
	}
	res, err := u.Client.Do(out)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	answer, err = io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("failed to read answer: %w", err)
	}
	u.noteSecrets(answer)
	header = res.Header.Clone()
	for _, h := range []string{"Content-Length", "Connection", "Transfer-Encoding"} {
		header.Del(h)
	}
	return res.StatusCode, header, answer, nil
}

// Reply passes an answer Forward read on to the client.
func Reply(w http.ResponseWriter, status int, header http.Header, answer []byte) {
	for k, vs := range header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(answer)))
	w.WriteHeader(status)
	_, _ = w.Write(answer)
}

var secretElement = regexp.MustCompile(`<(SecretAccessKey|SessionToken)>([^<]+)</`)

func (u *Upstream) noteSecrets(answer []byte) {
	if u.Secrets == nil {
		return
	}
	for _, m := range secretElement.FindAllSubmatch(answer, -1) {
		u.mu.Lock()
		fmt.Fprintf(u.Secrets, "%s\n", m[2])
		u.mu.Unlock()
	}
}

// ParseUpstream reads a front's -upstream flag: the peer's absolute URL.
func ParseUpstream(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("-upstream %q is not an absolute URL", s)
	}
	return u, nil
}

// Listen listens on addr (port 0 picks a free one) and, when addrFile is
// not empty, writes the address it got there, so that the test that
// started the front learns where to send requests once it accepts them.
func Listen(addr, addrFile string) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("failed to listen: %w", err)
	}
	if addrFile != "" {
		if err := WriteFile(addrFile, []byte(l.Addr().String())); err != nil {
			l.Close()
			return nil, err
		}
	}
	return l, nil
}

// WriteFile writes data to path through a temporary name, mode 0600: a
// test waiting for the file never reads half of it.
func WriteFile(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Append opens path for appending, creating it with mode 0600: a front's
// log or its record of secrets, which several runs may share.
func Append(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("failed to open %s: %w", path, err)
	}
	return f, nil
}
