package fakegitlab

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeyFileRoundTrip checks that the fake-gitlab process and a test that
// loads the key it wrote sign as one issuer.
func TestKeyFileRoundTrip(t *testing.T) {
	t.Parallel()
	k, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "key.pem")
	if err := k.WriteKey(path); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v; want mode 0600", info, err)
	}
	loaded, err := LoadKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.ID != k.ID || !loaded.Private.Equal(k.Private) {
		t.Errorf("loaded key %s differs from the written %s", loaded.ID, k.ID)
	}
	notPEM := filepath.Join(t.TempDir(), "key.txt")
	if err := os.WriteFile(notPEM, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKey(notPEM); err == nil || !strings.Contains(err.Error(), "no PEM block in") {
		t.Errorf("LoadKey(not PEM) = %v, want it to name the missing PEM block", err)
	}
}
