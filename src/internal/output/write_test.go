package output

import (
	"context"
	"errors"

	"github.com/sethvargo/go-githubactions"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/atomicfile"
)

// The one-call forms of the dotenv and GitHub writers, which the tests and
// fuzz targets drive; the cli takes the same steps itself (prepare every
// output, then commit each), so they live here, beside the tests.

// validateDotenv parses data with ParseDotenv and checks it against limits,
// as GitLab does when the report is uploaded.
func validateDotenv(data []byte, limits DotenvLimits) ([]Var, error) {
	if err := limits.validate(); err != nil {
		return nil, err
	}
	vars, err := ParseDotenv(data)
	if err != nil {
		return nil, err
	}
	if err := checkLimits(len(data), len(vars), limits, 0, 0); err != nil {
		return nil, err
	}
	return vars, nil
}

// writeDotenv is PrepareDotenv then Commit under atomicfile.Lock, as the
// cli writes one dotenv output: on any error the file is left exactly as it
// was, or absent.
func writeDotenv(ctx context.Context, path string, vars []Var, limits DotenvLimits) error {
	unlock, err := atomicfile.Lock(ctx, path)
	if err != nil {
		return err
	}
	defer unlock()
	r, err := PrepareDotenv(path, vars, limits)
	if err != nil {
		return err
	}
	return r.Commit()
}

// writeGitHub hands credentials to later steps of a GitHub Actions job:
// PrepareGitHub, then the ::add-mask:: lines on a's writer, then Commit.
// A refusal writes nothing at all.
func writeGitHub(a *githubactions.Action, vars []Var, outputs map[string]string) error {
	if a == nil {
		return errors.New("no GitHub Actions writer")
	}
	p, err := PrepareGitHub(a.Getenv, vars, outputs)
	if err != nil {
		return err
	}
	if err := recoverPanic(p.hidden, func() {
		for _, s := range p.masks {
			a.AddMask(s)
		}
	}); err != nil {
		return err
	}
	return p.Commit()
}
