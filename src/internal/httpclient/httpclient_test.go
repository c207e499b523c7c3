package httpclient

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

func noEnv(string) string { return "" }

func TestRootsWithBundle(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }))
	t.Cleanup(srv.Close)

	// Without the server's CA, the system roots refuse it.
	plain, err := Roots(context.Background(), noEnv, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewWithRoots(noEnv, plain).Get(srv.URL); err == nil {
		t.Fatal("an untrusted certificate was accepted")
	}

	// With it as a bundle, the request goes through.
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	der := srv.Certificate().Raw
	if err := os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	roots, err := Roots(context.Background(), noEnv, bundle)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := NewWithRoots(noEnv, roots).Get(srv.URL)
	if err != nil {
		t.Fatalf("trusted bundle refused: %v", err)
	}
	resp.Body.Close()
	if c := NewWithRoots(noEnv, roots).Transport.(*http.Transport).TLSClientConfig; c.MinVersion != tls.VersionTLS12 {
		t.Errorf("MinVersion = %x", c.MinVersion)
	}

	// The lazy client: the same, and plain http untouched.
	lazy, err := New(context.Background(), noEnv, bundle)
	if err != nil {
		t.Fatal(err)
	}
	resp, err = lazy.Get(srv.URL)
	if err != nil {
		t.Fatalf("lazy client refused the trusted bundle: %v", err)
	}
	resp.Body.Close()
	plainSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	t.Cleanup(plainSrv.Close)
	if resp, err = lazy.Get(plainSrv.URL); err != nil {
		t.Fatalf("lazy client over http: %v", err)
	}
	resp.Body.Close()
	if lazy.Transport.(*lazyTLS).secure == nil {
		t.Error("the https transport was not built")
	}
}

func TestRootsBadBundle(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{notPEM, filepath.Join(dir, "missing.pem")} {
		var be *BundleError
		if _, err := Roots(context.Background(), noEnv, path); !errors.As(err, &be) || be.Path != path {
			t.Errorf("Roots(%q) = %v, want *BundleError naming the path", path, err)
		}
		if _, err := New(context.Background(), noEnv, path); !errors.As(err, &be) || be.Path != path {
			t.Errorf("Client(%q) = %v, want *BundleError naming the path", path, err)
		}
	}
}
