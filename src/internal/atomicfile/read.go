package atomicfile

import (
	"context"
	"fmt"
	"io"
	"os"
)

// ReadInput reads a file the user named as input (a policy, a roles file,
// a CA bundle, a token file): at most maxBytes, only a regular file, and
// never past ctx's deadline. Unlike ReadExisting it follows symbolic links
// (a Kubernetes projected token is one). A named pipe, a device such as
// /dev/zero, a socket or a directory is refused with a *RefusedError
// before a byte is read: a pipe would block and a device never end. The
// open does not wait for a pipe's writer, and a read that hangs (a stalled
// network file system) is given up when ctx ends.
func ReadInput(ctx context.Context, path string, maxBytes int64) ([]byte, error) {
	if path == "" {
		return nil, emptyPath()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		data, err := readInput(path, maxBytes)
		done <- result{data, err}
	}()
	select {
	case r := <-done:
		return r.data, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("gave up reading %q: %w", path, context.Cause(ctx))
	}
}

func readInput(path string, maxBytes int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openNonBlock, 0)
	if err != nil {
		// A socket cannot be opened at all (ENXIO, "no such device or
		// address"): say what it is instead.
		if info, serr := os.Stat(path); serr == nil && !info.Mode().IsRegular() && !info.IsDir() {
			return nil, notRegular(path, info.Mode())
		}
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("failed to inspect %q: %w", path, err)
	}
	mode := info.Mode()
	switch {
	case mode.IsDir():
		return nil, &RefusedError{Path: path, Reason: ReasonDirectory, Detail: "it is a directory", Fix: "give the path of a regular file"}
	case !mode.IsRegular():
		return nil, notRegular(path, mode)
	case info.Size() > maxBytes:
		return nil, tooLarge(path, maxBytes)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("failed to read %q: %w", path, err)
	}
	if int64(len(data)) > maxBytes {
		return nil, tooLarge(path, maxBytes)
	}
	return data, nil
}

func notRegular(path string, mode os.FileMode) error {
	return &RefusedError{Path: path, Reason: ReasonNotRegular,
		Detail: fmt.Sprintf("it is not a regular file (mode %s); pipes, sockets and devices are not read", mode.Type()),
		Fix:    "give the path of a regular file"}
}

func tooLarge(path string, maxBytes int64) error {
	return &RefusedError{Path: path, Reason: ReasonTooLarge,
		Detail: fmt.Sprintf("it is larger than %d bytes, the most read of such a file", maxBytes),
		Fix:    "give the path of the right file"}
}
