package cli

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// plainRemote reports whether endpoint is plain http to a host that is not
// this machine: credentials then cross the network unencrypted.
func plainRemote(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "http" {
		return false
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// warnPlainHTTP warns about each endpoint of the run that is plain http to
// another machine. Loopback is left alone: tests, and local STS-compatible
// servers, use it.
func (r *assumeRun) warnPlainHTTP() {
	n := r.naming()
	for _, ep := range []struct{ field, url string }{{"sts-endpoint", r.plan.STS.Endpoint}, {"s3-endpoint", r.plan.Checks.S3Endpoint}} {
		if plainRemote(ep.url) {
			r.log.Warn(fmt.Sprintf("%s %s is plain http to another machine: the token and the credentials cross the network unencrypted; use https", n.flag(ep.field), ep.url))
		}
	}
}
