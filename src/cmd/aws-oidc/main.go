// Command aws-oidc exchanges a CI job's OIDC ID token for temporary AWS
// credentials. All the work is in package cli and the packages it calls;
// this is the one place that exits.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, LookupEnv: os.LookupEnv}, os.Args)
	stop()
	os.Exit(code)
}
