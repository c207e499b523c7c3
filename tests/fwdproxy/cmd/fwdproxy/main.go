// Command fwdproxy runs the end-to-end tests' forward proxy (see package
// fwdproxy):
//
//	fwdproxy -addr-file F -log L -route sts.proxy.test:7080=127.0.0.1:7080 [-auth user:pass]
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"gitlab.com/aws-oidc/aws-oidc/tests/fwdproxy"
	"gitlab.com/aws-oidc/aws-oidc/tests/relay"
)

type routes map[string]string

func (r routes) String() string { return fmt.Sprint(map[string]string(r)) }

func (r routes) Set(s string) error {
	from, to, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("%q is not NAME:PORT=ADDR:PORT", s)
	}
	r[strings.ToLower(from)] = to
	return nil
}

func main() {
	rt := routes{}
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	addrFile := flag.String("addr-file", "", "write the bound address here once listening")
	logPath := flag.String("log", "", "append one JSON line per request here")
	auth := flag.String("auth", "", "require this user:password")
	flag.Var(rt, "route", "NAME:PORT=ADDR:PORT, repeatable: the only places the proxy goes to")
	flag.Parse()

	p := &fwdproxy.Proxy{Routes: rt, Auth: *auth}
	if *logPath != "" {
		f, err := relay.Append(*logPath)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer f.Close()
		p.Log = f
	}
	ln, err := relay.Listen(*listen, *addrFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "fwdproxy listening on %s, routes %s\n", ln.Addr(), rt)
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
		<-sig
		ln.Close()
	}()
	_ = http.Serve(ln, p)
}
