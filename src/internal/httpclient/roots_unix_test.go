//go:build unix

package httpclient

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
)

// TestRootsHonourGoVariables: SSL_CERT_FILE and SSL_CERT_DIR name the
// system's roots as for crypto/x509, but are read by our bounded reader: a
// pipe or a device there is a *BundleError naming the variable, never a
// read that hangs or runs out of memory.
func TestRootsHonourGoVariables(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("Go's own loader decides outside Linux")
	}
	ts := httptest.NewTLSServer(http.NotFoundHandler())
	defer ts.Close()
	dir := t.TempDir()
	pemFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(pemFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	certDir := filepath.Join(dir, "certs")
	if err := os.Mkdir(certDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(pemFile, filepath.Join(certDir, "ca.pem")); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	fifoDir := filepath.Join(dir, "fifodir")
	if err := os.Mkdir(fifoDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(fifoDir, "x.pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, file, dir, badVar string
	}{
		{name: "cert_file", file: pemFile},
		{name: "cert_dir", dir: "/nonexistent:" + certDir},
		{name: "cert_file_fifo", file: fifo, badVar: "SSL_CERT_FILE"},
		{name: "cert_file_dev_zero", file: "/dev/zero", badVar: "SSL_CERT_FILE"},
		{name: "cert_dir_with_fifo", dir: fifoDir, badVar: "SSL_CERT_DIR"},
		{name: "cert_dir_is_fifo", dir: fifo, badVar: "SSL_CERT_DIR"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := func(k string) string {
				return map[string]string{"SSL_CERT_FILE": tc.file, "SSL_CERT_DIR": tc.dir}[k]
			}
			pool, err := Roots(context.Background(), env, "")
			if tc.badVar != "" {
				var be *BundleError
				if !errors.As(err, &be) || be.Var != tc.badVar {
					t.Fatalf("Roots = %v, want a *BundleError naming %s", err, tc.badVar)
				}
				if _, err := New(context.Background(), env, ""); !errors.As(err, &be) {
					t.Errorf("Client = %v, want a *BundleError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ts.Certificate().Verify(x509.VerifyOptions{Roots: pool}); err != nil {
				t.Errorf("the pool does not hold the certificate the variable names: %v", err)
			}
		})
	}
}
