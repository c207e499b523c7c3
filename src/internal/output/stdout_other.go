//go:build !unix

package output

import "os"

// closedAtStart reports whether f cannot be used.
func closedAtStart(f *os.File) bool {
	_, err := f.Stat()
	return err != nil
}
