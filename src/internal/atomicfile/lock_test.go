package atomicfile

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestLockExcludesAndReleases(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "aws.env"), filepath.Join(dir, "sub", "x")
	if err := os.Mkdir(filepath.Dir(b), 0o700); err != nil {
		t.Fatal(err)
	}
	unlock, err := Lock(context.Background(), a, b, a)
	if err != nil {
		t.Fatal(err)
	}
	// A context that has ended: one try, then give up.
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Lock(done, filepath.Join(dir, "other")); err == nil {
		t.Fatal("a second lock of the same folder was granted")
	}
	unlock()
	unlock2, err := Lock(done, a, b)
	if err != nil {
		t.Fatalf("the lock was not released: %v", err)
	}
	unlock2()
	// Nothing is left behind, and a missing folder is skipped.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %v", entries)
	}
	if u, err := Lock(done, filepath.Join(dir, "missing", "f")); err != nil {
		t.Errorf("missing folder: %v", err)
	} else {
		u()
	}
}
