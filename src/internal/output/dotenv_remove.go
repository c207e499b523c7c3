package output

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/atomicfile"
)

// VarSet is the variables one role of a run wrote to a dotenv file.
// Credentials are those of them no one else writes (the key id, secret key
// and session token): the set is aws-oidc's only when all of them are in
// the file, since an AWS_REGION alone, or a person's own keys without a
// session token, are someone else's.
type VarSet struct {
	Name        string
	Keys        []string
	Credentials []string
}

// CredentialSet is the set of variables Variables writes for prefix: its
// key id, secret key and session token tell a run's from someone else's.
func CredentialSet(prefix string) VarSet {
	p := prefix
	return VarSet{
		Name: p,
		Keys: []string{p + KeyAccessKeyID, p + KeySecretAccessKey, p + KeySessionToken,
			p + KeyRegion, p + KeyDefaultRegion, p + KeyCredentialExpiration},
		Credentials: []string{p + KeyAccessKeyID, p + KeySecretAccessKey, p + KeySessionToken},
	}
}

// ForeignDotenvKeys are the variables of vars already in the dotenv file
// existing whose prefix's credentials (key id, secret key, session token)
// are not all there: someone else set them (a hand-written AWS_REGION).
func ForeignDotenvKeys(existing []byte, vars []Var) []string {
	old, err := ParseDotenv(existing)
	if err != nil || len(old) == 0 {
		return nil
	}
	there := map[string]bool{}
	for _, v := range old {
		there[v.Key] = true
	}
	var foreign []string
	for _, v := range vars {
		p, ok := strings.CutSuffix(v.Key, KeyAccessKeyID)
		if !ok {
			continue
		}
		set := CredentialSet(p)
		if !slices.ContainsFunc(set.Credentials, func(k string) bool { return !there[k] }) {
			continue
		}
		for _, k := range set.Keys {
			if there[k] {
				foreign = append(foreign, k)
			}
		}
	}
	return foreign
}

// DotenvRemoval is what RemoveDotenv did.
type DotenvRemoval struct {
	// Removed counts the variables taken out; Deleted is set when the
	// file held nothing else and was deleted.
	Removed int
	Deleted bool
	// Kept names the sets some of whose variables are in the file without
	// all of their credentials: left as they were.
	Kept []string
}

// RemoveDotenv takes the variables of each set out of the dotenv file at
// path, for `aws-oidc cleanup`, when the set's credentials are all there
// (see VarSet): the lines of every other variable stay byte for byte and in
// order, the file keeps its mode, and a file left with none is deleted. A
// missing file is nothing to remove. A file that is not a dotenv file by
// GitLab's rules (which every file aws-oidc writes or merges into is) is
// refused and left alone: it is not ours to edit.
func RemoveDotenv(path string, sets []VarSet) (DotenvRemoval, error) {
	var done DotenvRemoval
	existing, ok, err := atomicfile.ReadExisting(path, 1<<20)
	if err != nil {
		var refused *atomicfile.RefusedError
		if errors.As(err, &refused) {
			return done, err
		}
		return done, fmt.Errorf("failed to read the dotenv file: %w", err)
	}
	if !ok {
		return done, nil
	}
	info, err := os.Stat(path)
	if err != nil {
		return done, fmt.Errorf("failed to inspect the dotenv file: %w", err)
	}
	vars, err := ParseDotenv(existing)
	if err != nil {
		return done, withPath(err, path)
	}
	present := map[string]bool{}
	for _, v := range vars {
		present[v.Key] = true
	}
	var keys []string
	for _, set := range sets {
		ours := len(set.Credentials) > 0
		for _, k := range set.Credentials {
			ours = ours && present[k]
		}
		switch {
		case ours:
			keys = append(keys, set.Keys...)
		case slices.ContainsFunc(set.Keys, func(k string) bool { return present[k] }):
			done.Kept = append(done.Kept, set.Name)
		}
	}
	var b bytes.Buffer
	for _, v := range vars {
		if slices.Contains(keys, v.Key) {
			done.Removed++
			continue
		}
		// ParseDotenv accepts only lines that read back as written.
		b.WriteString(v.Key)
		b.WriteByte('=')
		b.WriteString(v.Value)
		b.WriteByte('\n')
	}
	switch {
	case done.Removed == 0:
		return done, nil
	case b.Len() == 0:
		if err := os.Remove(path); err != nil {
			return DotenvRemoval{Kept: done.Kept}, fmt.Errorf("failed to delete the dotenv file: %w", err)
		}
		done.Deleted = true
		return done, nil
	}
	if err := atomicfile.Write(path, b.Bytes(), info.Mode().Perm()); err != nil {
		return DotenvRemoval{Kept: done.Kept}, err
	}
	return done, nil
}
