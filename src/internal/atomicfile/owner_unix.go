//go:build unix

package atomicfile

import (
	"io/fs"
	"syscall"
)

func owner(info fs.FileInfo) (uid, gid int, ok bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return int(st.Uid), int(st.Gid), true
}

// canWrite reports whether this process may write the file at path, as
// access(2) decides (what the shell's -w and a redirection go by).
func canWrite(path string) bool {
	return syscall.Access(path, 2 /* W_OK */) == nil
}
