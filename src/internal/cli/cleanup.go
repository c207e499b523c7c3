package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/atomicfile"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/awsconfig"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/ci"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/output"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/rolesfile"
)

// cleanupFlags are assume's flags that say where a run writes: the same
// names and variables, so that an after_script with the job's variables
// removes what the script's assume wrote.
func cleanupFlags() []flagSpec {
	return withUsage(slices.DeleteFunc(slices.Clone(assumeFlags), func(s flagSpec) bool {
		switch s.Name {
		case "output", "dotenv-file", "prefix", "profile", "aws-config-file", "aws-credentials-file", "roles",
			"token-output-file", "region", "debug":
			return false
		}
		return true
	}), "region", "default region of the roles file's entries, read as assume reads it")
}

func cleanupCommand(env Env) *cli.Command {
	return &cli.Command{
		Name:  "cleanup",
		Usage: "remove what `assume` with the same flags and variables wrote: dotenv variables, token file, profiles",
		Description: "Takes assume's output flags and variables (--output, --dotenv-file, --prefix, --profile, --roles, " +
			"--aws-config-file, --aws-credentials-file, --token-output-file) and removes exactly what such a run writes: " +
			"its variables from the dotenv file (the file is deleted when nothing else is left in it), the token file of " +
			"--output token-file, and the named profiles' sections of the AWS config and credentials files. Every other " +
			"byte of those files stays as it was. Nothing to remove is not an error.\n\n" +
			"Exit codes: 0 success (also when nothing was there), 2 invalid flags or a file that is not what aws-oidc " +
			"writes (left alone), 1 anything else.",
		Flags: flags(cleanupFlags()),
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return &InputError{Msg: err.Error()}
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return inputErr("unexpected argument %q: cleanup takes flags only", logging.URL(c.Args().First()))
			}
			ctx, cancel := context.WithTimeout(c.Context, cleanupTimeout)
			defer cancel()
			cfg, err := parseCleanup(ctx, newLookup(c, env.Getenv, cleanupFlags()), env)
			if err != nil {
				return err
			}
			return runCleanup(ctx, cfg, env)
		},
	}
}

// cleanupConfig is what a run of assume with the same flags would write.
type cleanupConfig struct {
	outputs  []string
	dotenv   string
	tokenOut string
	files    awsconfig.Files
	// prefixes name the variable sets (one per role without a profile).
	prefixes []string
	profiles []string
	debug    bool
}

func (c *cleanupConfig) has(format string) bool { return slices.Contains(c.outputs, format) }

// cleanupTimeout bounds a cleanup: reading the roles file, waiting for the
// files' locks, the removals.
const cleanupTimeout = time.Minute

func parseCleanup(ctx context.Context, l lookup, env Env) (*cleanupConfig, error) {
	// The same parsing as assume's, so the same flags mean the same files.
	plan := &Plan{Platform: ci.Detect(env.Getenv)}
	plan.RolesFile, _ = l.String("roles")
	region, _ := l.String("region")
	profile, _ := l.String("profile")
	prefix, _ := l.String("prefix")
	if profile != "" {
		if plan.many() {
			return nil, inputErr("--profile and --roles exclude each other, as with assume")
		}
		if err := awsconfig.ValidateName(profile); err != nil {
			return nil, err
		}
	}
	if err := checkPrefix(prefix); err != nil {
		return nil, err
	}
	plan.Targets = []Target{{Region: region, Prefix: prefix, Profile: profile}}
	if plan.many() {
		var err error
		if plan.Targets, err = rolesTargets(ctx, plan.RolesFile, rolesfile.Defaults{Region: region, Duration: time.Hour}, STS{}); err != nil {
			return nil, err
		}
	}
	cfg := &cleanupConfig{outputs: l.Strings("output")}
	if len(cfg.outputs) == 0 && !profilesOnly(plan.Targets) {
		cfg.outputs = []string{plan.Platform.DefaultOutput()}
	}
	if err := checkFormats(cfg.outputs); err != nil {
		return nil, err
	}
	cfg.dotenv, _ = l.String("dotenv-file")
	if strings.TrimSpace(cfg.dotenv) == "" {
		return nil, &InputError{Field: "dotenv-file", Msg: "the dotenv file name is empty"}
	}
	cfg.tokenOut, _ = l.String("token-output-file")
	cfg.files.Config, _ = l.String("aws-config-file")
	cfg.files.Credentials, _ = l.String("aws-credentials-file")
	plan.Outputs.Formats = cfg.outputs
	for _, t := range plan.Targets {
		if t.Profile != "" {
			cfg.profiles = append(cfg.profiles, t.Profile)
		}
		// assume writes every output asked for besides the profile.
		if plan.withVars(t) {
			cfg.prefixes = append(cfg.prefixes, t.Prefix)
		}
	}
	var err error
	if cfg.debug, err = l.Bool("debug"); err != nil {
		return nil, err
	}
	return cfg, nil
}

// dotenvSets are the variables assume writes for each prefix; each set's
// credential variables tell a run's from someone else's.
func (c *cleanupConfig) dotenvSets() []output.VarSet {
	var sets []output.VarSet
	for _, p := range c.prefixes {
		sets = append(sets, output.VarSet{
			Name: p,
			Keys: []string{p + output.KeyAccessKeyID, p + output.KeySecretAccessKey, p + output.KeySessionToken,
				p + output.KeyRegion, p + output.KeyDefaultRegion, p + output.KeyCredentialExpiration},
			Credentials: []string{p + output.KeyAccessKeyID, p + output.KeySecretAccessKey, p + output.KeySessionToken},
		})
	}
	return sets
}

// CleanupError is a file cleanup could not, or would not, change.
type CleanupError struct {
	What string
	Err  error
}

func (e *CleanupError) Error() string { return fmt.Sprintf("failed to clean up %s: %v", e.What, e.Err) }
func (e *CleanupError) Unwrap() error { return e.Err }

// ExitCode is 2 for a file left alone because it is not what aws-oidc
// writes, else the code of the cause.
func (e *CleanupError) ExitCode() int {
	if errors.Is(e.Err, errNotToken) {
		return ExitConfig
	}
	return ExitCode(e.Err)
}

// Hint says why a file was left alone.
func (e *CleanupError) Hint() string {
	var de *output.DotenvError
	switch {
	case errors.As(e.Err, &de):
		return "the file is not a dotenv report aws-oidc would write, so it was left as it was: check --dotenv-file ($AWS_OIDC_DOTENV_FILE)"
	case errors.Is(e.Err, errNotToken):
		return "the file is not one aws-oidc wrote, so it was left as it was: check --token-output-file ($AWS_OIDC_TOKEN_OUTPUT_FILE)"
	}
	return Hint(e.Err)
}

var errNotToken = errNotOurTokenFile

func runCleanup(ctx context.Context, cfg *cleanupConfig, env Env) error {
	log := logging.New(env.Stderr, cfg.debug)
	var did []string
	var errs []error
	// emptied are the files deleted: only their default folder may go.
	var emptied []string

	// Temporary files of a run killed while it wrote (they hold its
	// credentials) go first, under the folders' locks.
	if stale, err := removeStale(ctx, cfg); err != nil {
		errs = append(errs, &CleanupError{What: "temporary files", Err: err})
	} else {
		for _, s := range stale {
			did = append(did, fmt.Sprintf("removed %s, a temporary file a killed run left behind", s))
		}
	}

	// Each part is independent: one that fails does not keep the others
	// from being removed, and the error names every failure.
	if cfg.has(formatDotenv) && len(cfg.prefixes) > 0 {
		done, err := removeDotenv(ctx, cfg.dotenv, cfg.dotenvSets())
		for _, p := range done.Kept {
			log.Info(fmt.Sprintf("left the %sAWS_* variables in %s as they were: without %s, %s and %s they are not aws-oidc's",
				p, cfg.dotenv, p+output.KeyAccessKeyID, p+output.KeySecretAccessKey, p+output.KeySessionToken))
		}
		switch {
		case err != nil:
			errs = append(errs, &CleanupError{What: "the dotenv file " + cfg.dotenv, Err: err})
		case done.Deleted:
			did = append(did, fmt.Sprintf("deleted %s (its %d variables were aws-oidc's)", cfg.dotenv, done.Removed))
			emptied = append(emptied, cfg.dotenv)
		case done.Removed > 0:
			did = append(did, fmt.Sprintf("removed %d variables from %s", done.Removed, cfg.dotenv))
		}
	}
	if cfg.has(formatTokenFile) {
		removed, err := removeTokenFile(cfg.tokenOut)
		switch {
		case err != nil:
			errs = append(errs, &CleanupError{What: "the token file " + cfg.tokenOut, Err: err})
		case removed:
			did = append(did, "deleted the token file "+cfg.tokenOut)
			emptied = append(emptied, cfg.tokenOut)
		}
	}
	if len(cfg.profiles) > 0 {
		found, deletedFiles, err := removeProfiles(ctx, cfg.files, cfg.profiles)
		emptied = append(emptied, deletedFiles...)
		switch {
		case err != nil:
			errs = append(errs, &CleanupError{What: "profiles " + strings.Join(cfg.profiles, ", "), Err: err})
		case len(found) > 0:
			did = append(did, fmt.Sprintf("removed profiles %s from %s and %s", strings.Join(found, ", "), cfg.files.Config, cfg.files.Credentials))
		}
	}
	// The folder assume made for its defaults goes when this cleanup
	// deleted a file of it and left it empty: an empty folder of the same
	// name that no run of aws-oidc wrote into stays.
	for _, p := range emptied {
		if p == defaultTokenOutputFile || p == defaultAWSConfigFile || p == defaultAWSCredentialsFile {
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
	if len(did) == 0 && len(errs) == 0 {
		log.Info("nothing to remove")
	}
	return errors.Join(errs...)
}

// removeStale deletes the temporary files killed runs left beside the
// files this cleanup is about (see atomicfile.RemoveStale).
func removeStale(ctx context.Context, cfg *cleanupConfig) ([]string, error) {
	var paths []string
	if cfg.has(formatDotenv) && len(cfg.prefixes) > 0 {
		paths = append(paths, cfg.dotenv)
	}
	if cfg.has(formatTokenFile) {
		paths = append(paths, cfg.tokenOut)
	}
	if len(cfg.profiles) > 0 {
		paths = append(paths, cfg.files.Paths()...)
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

func removeDotenv(ctx context.Context, path string, sets []output.VarSet) (output.DotenvRemoval, error) {
	unlock, err := atomicfile.Lock(ctx, path)
	if err != nil {
		return output.DotenvRemoval{}, err
	}
	defer unlock()
	return output.RemoveDotenv(path, sets)
}

// removeTokenFile deletes the token file when assume wrote it (see
// ourTokenFile): anything else at that path, a token another tool left
// there included, is not ours to delete.
func removeTokenFile(path string) (bool, error) {
	exists, ours, err := ourTokenFile(path)
	if err != nil || !exists {
		return false, err
	}
	if !ours {
		return false, errNotToken
	}
	if err := os.Remove(path); err != nil {
		return false, err
	}
	return true, nil
}

// removeProfiles takes the profiles out of both files, then deletes a file
// that held nothing else.
func removeProfiles(ctx context.Context, files awsconfig.Files, names []string) (found, deleted []string, err error) {
	before := map[string]int64{}
	for _, p := range files.Paths() {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			before[p] = fi.Size()
		}
	}
	found, err = awsconfig.Remove(ctx, files, names)
	if err != nil || len(found) == 0 {
		return found, nil, err
	}
	for _, p := range files.Paths() {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Size() == 0 && before[p] > 0 {
			if err := os.Remove(p); err != nil {
				return found, deleted, err
			}
			deleted = append(deleted, p)
		}
	}
	return found, deleted, nil
}
