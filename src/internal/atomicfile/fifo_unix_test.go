//go:build unix

package atomicfile

import (
	"syscall"
	"testing"
)

func mustMkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
}
