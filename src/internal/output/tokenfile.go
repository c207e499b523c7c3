package output

import (
	"errors"
	"os"
	"strings"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/atomicfile"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
)

// The token file of --output token-file holds the job's ID token for AWS
// SDKs to assume the role with themselves (AWS_WEB_IDENTITY_TOKEN_FILE).

// TokenFileMode keeps the job's token readable by the job's user only.
const TokenFileMode = 0o600

// maxTokenFileBytes bounds what is read of an existing token file to put
// it back: a token is at most 20000 characters.
const maxTokenFileBytes = 64 << 10

// ErrNotOurTokenFile is a file at the token file's path that aws-oidc did
// not write: assume does not overwrite it and cleanup does not delete it.
var ErrNotOurTokenFile = errors.New("it is not a token file aws-oidc wrote (a file of mode 0600, owned by this user, holding one JWT and nothing else)")

// OurTokenFile reports whether a file is at path (exists), and whether it
// is one a token file output wrote: a regular file of mode 0600 owned by
// this user, holding one JWT and nothing else. A file of someone else's
// (notes, a key, a token another tool left readable by others) fails one
// of those, and is neither overwritten nor deleted.
func OurTokenFile(path string) (exists, ours bool, err error) {
	data, exists, err := atomicfile.ReadExisting(path, maxTokenFileBytes)
	if err != nil || !exists {
		return exists, false, err
	}
	info, err := os.Lstat(path)
	if err != nil {
		return true, false, err
	}
	if info.Mode().Perm() != TokenFileMode || !ownedByUs(info) {
		return true, false, nil
	}
	raw := string(data)
	if strings.TrimSpace(raw) != raw || raw == "" {
		return true, false, nil
	}
	if _, err := token.Parse(raw); err != nil {
		return true, false, nil
	}
	return true, true, nil
}

// PrepareTokenFile keeps the token file's current content for Undo. The
// caller has checked with OurTokenFile that the file, if any, is ours.
func PrepareTokenFile(path, tok string) (*atomicfile.Replacement, error) {
	old, existed, err := atomicfile.ReadExisting(path, maxTokenFileBytes)
	if err != nil {
		return nil, err
	}
	return &atomicfile.Replacement{Path: path, Data: []byte(tok), Perm: TokenFileMode, Old: old, Existed: existed}, nil
}

// RemoveTokenFile deletes the token file when a token file output wrote it
// (see OurTokenFile), and reports whether it did; anything else at that
// path, a token another tool left there included, is refused with
// ErrNotOurTokenFile.
func RemoveTokenFile(path string) (bool, error) {
	exists, ours, err := OurTokenFile(path)
	if err != nil || !exists {
		return false, err
	}
	if !ours {
		return false, ErrNotOurTokenFile
	}
	if err := os.Remove(path); err != nil {
		return false, err
	}
	return true, nil
}
