package doctor

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
)

// addressKind names why AWS cannot reach addr, or "" when it is public.
func addressKind(addr netip.Addr) string {
	addr = addr.Unmap()
	switch {
	case addr.IsLoopback():
		return "a loopback address"
	case addr.IsPrivate():
		return "a private address"
	case addr.IsLinkLocalUnicast():
		return "a link-local address"
	case addr.IsUnspecified():
		return "an unspecified address"
	}
	// Address ranges the internet cannot route to, besides what netip
	// knows, parsed here rather than at every start-up.
	for _, r := range []struct{ prefix, what string }{
		{"100.64.0.0/10", "a carrier-grade NAT address (RFC 6598)"},
		{"198.18.0.0/15", "a benchmarking address (RFC 2544)"},
	} {
		if netip.MustParsePrefix(r.prefix).Contains(addr) {
			return r.what
		}
	}
	return ""
}

// Reachability resolves the hosts of the given URLs (the issuer and its
// jwks_uri) and warns when one lands on an address STS, on the internet,
// cannot reach.
func (d *Doctor) Reachability(ctx context.Context, urls ...string) Check {
	c := Check{Name: "reachability"}
	var hosts []string
	for _, raw := range urls {
		if u, err := url.Parse(raw); err == nil && u.Hostname() != "" && !slices.Contains(hosts, u.Hostname()) {
			hosts = append(hosts, u.Hostname())
		}
	}
	var public []string
	for _, host := range hosts {
		addrs, err := d.resolve(ctx, host)
		if err != nil {
			c.Status = worst(c.Status, Fail)
			c.Details = append(c.Details, fmt.Sprintf("%s does not resolve: %v", host, err))
			c.Fix = "the issuer's host name must resolve in public DNS"
			continue
		}
		for _, a := range addrs {
			if kind := addressKind(a); kind != "" {
				c.Status = worst(c.Status, Warn)
				c.Details = append(c.Details, fmt.Sprintf("%s resolves to %s, %s", host, a, kind))
				continue
			}
			public = append(public, fmt.Sprintf("%s → %s", host, a))
		}
	}
	switch c.Status {
	case OK:
		c.Summary = "public addresses: " + strings.Join(public, ", ")
	case Warn:
		c.Summary = "AWS (STS) fetches the issuer's documents from the internet and cannot reach this address " +
			"(\"Couldn't retrieve verification key from your identity provider\"); this is what this machine's DNS says"
		c.Fix = "make the instance reachable from the internet over https, or publish its discovery document and keys " +
			"elsewhere: GitLab 18.1+ setting ci_id_tokens_issuer_url (for example a public S3 bucket)"
	case Fail:
		c.Summary = "the issuer's host does not resolve"
	}
	return c
}

func (d *Doctor) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, d.o.Limit)
	defer cancel()
	return d.o.LookupNetIP(ctx, host)
}
