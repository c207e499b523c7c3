//go:build unix

package atomicfile

import (
	"os"
	"syscall"
)

// openNoFollow makes an open fail on a symbolic link instead of following it.
const openNoFollow = syscall.O_NOFOLLOW

// openNonBlock keeps an open of a named pipe from waiting for a writer.
const openNonBlock = syscall.O_NONBLOCK

// syncDir flushes a directory entry (the rename) to disk.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		_ = d.Close()
		return err
	}
	return d.Close()
}

// syscallRmdir removes an empty directory and nothing else.
func syscallRmdir(dir string) error { return syscall.Rmdir(dir) }
