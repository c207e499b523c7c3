package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/atomicfile"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
)

// Caps on the files a user names as input; README lists them. A file that
// is larger is not the one meant, and reading it whole could take all
// memory (/dev/zero is refused earlier, as every non-regular file is).
const (
	// maxPolicyFileBytes: STS takes 2048 characters of policy; pretty
	// printed JSON may be several times longer.
	maxPolicyFileBytes = 64 << 10
	// maxTrustPolicyFileBytes: an IAM trust policy is at most 4096
	// characters; `aws iam get-role` output wraps it in more.
	maxTrustPolicyFileBytes = 1 << 20
)

// inputContext bounds the reads of input files by --timeout, read here
// already because the files are read while the flags are parsed (an
// invalid value is refused later; the default applies meanwhile).
func inputContext(l lookup) (context.Context, context.CancelFunc) {
	d, err := positiveDuration(l, "timeout")
	if err != nil {
		d = time.Minute
	}
	parent := context.Background()
	if l.c != nil && l.c.Context != nil {
		// SIGTERM and SIGINT end a read that waits, as they end the run.
		parent = l.c.Context
	}
	return context.WithTimeout(parent, d)
}

// readPolicy reads an @file policy: a regular file of at most
// maxPolicyFileBytes. Only the command line and variables can name a file;
// the text of the file is validated by exchange.ParsePolicy.
func readPolicy(l lookup, value, from string) (string, error) {
	path, ok := strings.CutPrefix(strings.TrimSpace(value), "@")
	if !ok {
		return value, nil
	}
	ctx, cancel := inputContext(l)
	defer cancel()
	b, err := atomicfile.ReadInput(ctx, path, maxPolicyFileBytes)
	if err != nil {
		return "", &InputError{Field: "policy", Msg: fmt.Sprintf("failed to read policy file %q (from %s): %v", path, from, inputReason(err))}
	}
	return string(b), nil
}

// inputReason says why an input file was not read, without repeating its
// path (the caller's message names it).
func inputReason(err error) string {
	var refused *atomicfile.RefusedError
	if errors.As(err, &refused) {
		return refused.Detail
	}
	return err.Error()
}

func parseEndpoint(value, from string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(value))
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		return "", &InputError{Field: "sts-endpoint", Msg: fmt.Sprintf("%q (from %s) is not an http(s) URL such as https://sts.us-east-1.amazonaws.com", logging.URL(value), from)}
	case u.User != nil || strings.Contains(value, "@"):
		// A password in a URL ends up in logs, process lists and outputs
		// (AWS_ENDPOINT_URL_STS of --output token-file); AWS endpoints take
		// none, and no "@" anywhere else either. Never print it.
		return "", &InputError{Field: "sts-endpoint", Msg: fmt.Sprintf("%q (from %s) holds a user name or password before the host; endpoints take none: remove it (credentials for a proxy go in HTTPS_PROXY)", logging.URL(value), from)}
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

func positiveDuration(l lookup, name string) (time.Duration, error) {
	v, from := l.String(name)
	if n, err := strconv.Atoi(v); err == nil {
		v = strconv.Itoa(n) + "s"
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 || d > 24*time.Hour {
		return 0, &InputError{Field: name, Msg: fmt.Sprintf("%q (from %s) is not a positive duration such as 60s or 2m", v, from)}
	}
	return d, nil
}

func boundedInt(l lookup, name string, lo, hi int) (int, error) {
	v, from := l.String(name)
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		return 0, &InputError{Field: name, Msg: fmt.Sprintf("%q (from %s) must be a whole number from %d to %d", v, from, lo, hi)}
	}
	return n, nil
}
