package output

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/atomicfile"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/awsconfig"
)

// Cleanup is what a run of assume with the same settings writes, for
// `aws-oidc cleanup` to take out again: only what is recognisably the
// run's (see RemoveDotenv, RemoveTokenFile, awsconfig.Remove).
type Cleanup struct {
	// DotenvFile loses the variables of each of Prefixes (see
	// CredentialSet); no prefixes: the file is not touched.
	DotenvFile string
	Prefixes   []string
	// TokenFile is deleted when Token is set and the file is ours.
	Token     bool
	TokenFile string
	// Profiles lose their sections in AWSFiles.
	AWSFiles awsconfig.Files
	Profiles []string
	// Defaults are the default paths, whose folder assume makes: a folder
	// left empty by a file this cleanup deleted goes too.
	Defaults []string
}

// CleanupFailure is one file that Clean could not, or would not, change.
type CleanupFailure struct {
	// What names the file or the part, as "the dotenv file aws.env".
	What string
	Err  error
}

// Clean removes what c names and logs what it did. Each part is
// independent: one that fails does not keep the others from being
// removed, and every failure is returned.
func Clean(ctx context.Context, log *slog.Logger, c Cleanup) []CleanupFailure {
	var did []string
	var failed []CleanupFailure
	// emptied are the files deleted: only their default folder may go.
	var emptied []string

	// Temporary files of a run killed while it wrote (they hold its
	// credentials) go first, under the folders' locks.
	if stale, err := c.removeStale(ctx); err != nil {
		failed = append(failed, CleanupFailure{What: "temporary files", Err: err})
	} else {
		for _, s := range stale {
			did = append(did, fmt.Sprintf("removed %s, a temporary file a killed run left behind", s))
		}
	}

	if len(c.Prefixes) > 0 {
		done, err := c.removeDotenv(ctx)
		for _, p := range done.Kept {
			log.Info(fmt.Sprintf("left the %sAWS_* variables in %s as they were: without %s, %s and %s they are not aws-oidc's",
				p, c.DotenvFile, p+KeyAccessKeyID, p+KeySecretAccessKey, p+KeySessionToken))
		}
		switch {
		case err != nil:
			failed = append(failed, CleanupFailure{What: "the dotenv file " + c.DotenvFile, Err: err})
		case done.Deleted:
			did = append(did, fmt.Sprintf("deleted %s (its %d variables were aws-oidc's)", c.DotenvFile, done.Removed))
			emptied = append(emptied, c.DotenvFile)
		case done.Removed > 0:
			did = append(did, fmt.Sprintf("removed %d variables from %s", done.Removed, c.DotenvFile))
		}
	}
	if c.Token {
		removed, err := RemoveTokenFile(c.TokenFile)
		switch {
		case err != nil:
			failed = append(failed, CleanupFailure{What: "the token file " + c.TokenFile, Err: err})
		case removed:
			did = append(did, "deleted the token file "+c.TokenFile)
			emptied = append(emptied, c.TokenFile)
		}
	}
	if len(c.Profiles) > 0 {
		found, deleted, err := awsconfig.Remove(ctx, c.AWSFiles, c.Profiles)
		emptied = append(emptied, deleted...)
		switch {
		case err != nil:
			failed = append(failed, CleanupFailure{What: "profiles " + strings.Join(c.Profiles, ", "), Err: err})
		case len(found) > 0:
			did = append(did, fmt.Sprintf("removed profiles %s from %s and %s", strings.Join(found, ", "), c.AWSFiles.Config, c.AWSFiles.Credentials))
		}
	}
	// The folder assume made for its defaults goes when this cleanup
	// deleted a file of it and left it empty: an empty folder of the same
	// name that no run of aws-oidc wrote into stays.
	for _, p := range emptied {
		if slices.Contains(c.Defaults, p) {
			// A link the user made in its place is theirs: os.Remove
			// would delete the link itself.
			if info, err := os.Lstat(filepath.Dir(p)); err == nil && info.IsDir() {
				_ = os.Remove(filepath.Dir(p)) // fails, as it should, while anything is in it
			}
		}
	}
	for _, d := range did {
		log.Info(d)
	}
	if len(did) == 0 && len(failed) == 0 {
		log.Info("nothing to remove")
	}
	return failed
}

// removeStale deletes the temporary files killed runs left beside the
// files this cleanup is about (see atomicfile.RemoveStale).
func (c Cleanup) removeStale(ctx context.Context) ([]string, error) {
	var paths []string
	if len(c.Prefixes) > 0 {
		paths = append(paths, c.DotenvFile)
	}
	if c.Token {
		paths = append(paths, c.TokenFile)
	}
	if len(c.Profiles) > 0 {
		paths = append(paths, c.AWSFiles.Paths()...)
	}
	if len(paths) == 0 {
		return nil, nil
	}
	unlock, err := atomicfile.Lock(ctx, paths...)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var removed []string
	for _, p := range paths {
		removed = append(removed, atomicfile.RemoveStale(p)...)
	}
	return removed, nil
}

// removeDotenv takes the prefixes' variables out of the dotenv file under
// its folder's lock.
func (c Cleanup) removeDotenv(ctx context.Context) (DotenvRemoval, error) {
	unlock, err := atomicfile.Lock(ctx, c.DotenvFile)
	if err != nil {
		return DotenvRemoval{}, err
	}
	defer unlock()
	sets := make([]VarSet, len(c.Prefixes))
	for i, p := range c.Prefixes {
		sets[i] = CredentialSet(p)
	}
	return RemoveDotenv(c.DotenvFile, sets)
}
