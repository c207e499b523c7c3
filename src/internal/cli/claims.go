package cli

import (
	"errors"
	"fmt"
	"slices"

	"github.com/urfave/cli/v2"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/doctor"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/exchange"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/logging"
)

// tokenFlags are the token flags of `assume`, shared by the diagnosis
// commands so that they find the same token the same way. The specs are
// looked up by name in assumeFlags: one declaration, one meaning.
func tokenFlags(names ...string) []flagSpec {
	var out []flagSpec
	for _, s := range assumeFlags {
		if slices.Contains(names, s.Name) {
			out = append(out, s)
		}
	}
	return out
}

// withUsage returns specs with the usage of one flag replaced, for a flag
// whose name and variables are shared but whose role differs (doctor's
// --role-arn is optional).
func withUsage(specs []flagSpec, name, usage string) []flagSpec {
	out := slices.Clone(specs)
	for i := range out {
		if out[i].Name == name {
			out[i].Usage = usage
		}
	}
	return out
}

// defaultRegion is the region of a command that names no role: the
// commercial partition's audience.
const defaultRegion = "us-east-1"

func claimsFlags() []flagSpec {
	return append(tokenFlags("token-env", "token-file", "audience"),
		flagSpec{Name: "format", Envs: []string{"AWS_OIDC_FORMAT"}, Usage: "output format: text or json", Default: "text"},
	)
}

func claimsCommand(env Env) *cli.Command {
	return &cli.Command{
		Name:  "claims",
		Usage: "show the token's claims that a trust policy matches, and the conditions to write",
		Description: "Decodes the job's ID token without verifying it (same token flags as assume) and prints iss, aud, " +
			"sub, project_path, namespace_path, ref, ref_type, ref_protected, environment and exp, then the exact " +
			"condition keys and values an IAM trust policy must use for this job. Never the token or its signature.\n\n" +
			"Exit codes: 0 shown, 2 invalid flags, 3 no token or not a JWT.",
		Flags:        flags(claimsFlags()),
		OnUsageError: func(_ *cli.Context, err error, _ bool) error { return &InputError{Command: "claims", Msg: err.Error()} },
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return &InputError{Command: "claims", Msg: fmt.Sprintf("unexpected argument %q: claims takes flags only", logging.URL(c.Args().First()))}
			}
			l := newLookup(c, env.Getenv, claimsFlags())
			format, from := l.String("format")
			if format != "text" && format != "json" {
				return &InputError{Command: "claims", Field: "format", From: from, Msg: fmt.Sprintf("unknown format %q (from %s; valid: text, json)", format, from)}
			}
			tok, pick, err := readToken(c.Context, l, env, defaultRegion)
			if err != nil {
				return commandError("claims", err)
			}
			view := doctor.Claims(tok, pick.Audience, env.Now())
			// The claims are the token's, which anyone can forge: they are
			// printed through the scrubbing, escaping writer, line by line.
			out := env.diag(env.Stdout).(*logging.Writer)
			if format == "json" {
				return view.WriteJSON(out)
			}
			return view.WriteText(out)
		},
	}
}

// commandError points the hint of an input error at the command's own
// --help, not assume's; the role flags keep assume's hints, which say what
// a valid value looks like.
func commandError(command string, err error) error {
	var (
		in    *InputError
		field *exchange.FieldError
	)
	switch {
	case errors.As(err, &in):
		if in.Fix == "" && in.Field != "role-arn" && in.Field != "region" {
			in.Command = command
		}
		return in
	case errors.As(err, &field) && field.Field != "role-arn" && field.Field != "region":
		return &InputError{Command: command, Field: field.Field, Msg: field.Msg}
	}
	return err
}
