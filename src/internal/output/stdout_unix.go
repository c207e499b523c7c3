//go:build unix

package output

import (
	"os"
	"syscall"
)

// closedAtStart reports whether f is a descriptor the shell closed
// (`>&-`): the Go runtime opens /dev/null read-write in its place at start
// (runtime.checkfds), so writes vanish with success. A shell's
// `> /dev/null` opens it write-only, which stays allowed.
func closedAtStart(f *os.File) bool {
	info, err := f.Stat()
	if err != nil {
		return true
	}
	null, err := os.Stat(os.DevNull)
	if err != nil || !os.SameFile(info, null) {
		return false
	}
	flags, _, errno := syscall.Syscall(syscall.SYS_FCNTL, f.Fd(), syscall.F_GETFL, 0)
	return errno == 0 && int(flags)&syscall.O_ACCMODE == syscall.O_RDWR
}
