package exchange

import (
	"fmt"
	"slices"
	"strings"
)

// Partition is an AWS partition: its own regions, DNS suffix and STS audience.
type Partition struct {
	Name string
	// DNSSuffix is the domain of the partition's regional endpoints.
	DNSSuffix string
	// regionPrefixes are the region name prefixes that belong to it.
	regionPrefixes []string
}

// The partitions STS serves web identity federation in. Region prefixes
// follow AWS's published partition metadata; the commercial partition, the
// first, takes every region no other claims.
// (A slice, not a map: the compiler lays it out, so nothing is built at
// start-up.)
var partitions = []Partition{
	{Name: "aws", DNSSuffix: "amazonaws.com"},
	{Name: "aws-cn", DNSSuffix: "amazonaws.com.cn", regionPrefixes: []string{"cn-"}},
	{Name: "aws-us-gov", DNSSuffix: "amazonaws.com", regionPrefixes: []string{"us-gov-"}},
	{Name: "aws-iso", DNSSuffix: "c2s.ic.gov", regionPrefixes: []string{"us-iso-"}},
	{Name: "aws-iso-b", DNSSuffix: "sc2s.sgov.gov", regionPrefixes: []string{"us-isob-"}},
	{Name: "aws-iso-e", DNSSuffix: "cloud.adc-e.uk", regionPrefixes: []string{"eu-isoe-"}},
	{Name: "aws-iso-f", DNSSuffix: "csp.hci.ic.gov", regionPrefixes: []string{"us-isof-"}},
}

// partitionNamed is the known partition of that name.
func partitionNamed(name string) (Partition, bool) {
	for _, p := range partitions {
		if p.Name == name {
			return p, true
		}
	}
	return Partition{}, false
}

// PartitionNames lists the known partitions, sorted.
func PartitionNames() []string {
	names := make([]string, 0, len(partitions))
	for _, p := range partitions {
		names = append(names, p.Name)
	}
	slices.Sort(names)
	return names
}

// isRegion reports whether s has the shape of an AWS region name: two
// letters, one or more words of letters, and a number of one or two digits,
// joined by '-' (us-east-1, us-gov-west-1).
func isRegion(s string) bool {
	parts := strings.Split(s, "-")
	n := len(parts)
	if n < 3 || len(parts[0]) != 2 || len(parts[n-1]) < 1 || len(parts[n-1]) > 2 {
		return false
	}
	lower := func(r rune) bool { return 'a' <= r && r <= 'z' }
	for _, p := range parts[:n-1] {
		if p == "" || !allRunes(p, lower) {
			return false
		}
	}
	return allRunes(parts[n-1], func(r rune) bool { return '0' <= r && r <= '9' })
}

// PartitionOf returns the partition a region belongs to.
func PartitionOf(region string) (Partition, error) {
	if !isRegion(region) {
		return Partition{}, fieldErr("region", "%q is not an AWS region name (for example us-east-1, eu-central-1, cn-north-1)", region)
	}
	for _, p := range partitions {
		for _, prefix := range p.regionPrefixes {
			if strings.HasPrefix(region, prefix) {
				return p, nil
			}
		}
	}
	return partitions[0], nil
}

// STSEndpoint is the regional STS endpoint for region. Regional endpoints
// answer faster than the global one and keep working when us-east-1 does not.
func STSEndpoint(region string) (string, error) {
	p, err := PartitionOf(region)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("https://sts.%s.%s", region, p.DNSSuffix), nil
}

// Audience is the audience AWS documents for web identity tokens in the
// partition of region: GitHub tokens are requested for it by default.
func Audience(region string) string {
	if p, err := PartitionOf(region); err == nil && p.Name == "aws-cn" {
		return "sts.amazonaws.com.cn"
	}
	return "sts.amazonaws.com"
}

// CheckPartition refuses a role in another partition than the region's:
// STS of one partition cannot assume roles of another.
func CheckPartition(a ARN, region string) error {
	p, err := PartitionOf(region)
	if err != nil {
		return err
	}
	if p.Name != a.Partition {
		return fieldErrNaming("region", func(flag func(string) string) string {
			return fmt.Sprintf("%q is in partition %q but the role %q is in %q; set %s to a region of %q", region, p.Name, a.raw, a.Partition, flag("region"), a.Partition)
		})
	}
	return nil
}
