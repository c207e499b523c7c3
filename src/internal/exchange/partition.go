package exchange

import (
	"fmt"
	"regexp"
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
// follow AWS's published partition metadata; the commercial partition takes
// every region no other claims.
var partitions = map[string]Partition{
	"aws":        {Name: "aws", DNSSuffix: "amazonaws.com"},
	"aws-cn":     {Name: "aws-cn", DNSSuffix: "amazonaws.com.cn", regionPrefixes: []string{"cn-"}},
	"aws-us-gov": {Name: "aws-us-gov", DNSSuffix: "amazonaws.com", regionPrefixes: []string{"us-gov-"}},
	"aws-iso":    {Name: "aws-iso", DNSSuffix: "c2s.ic.gov", regionPrefixes: []string{"us-iso-"}},
	"aws-iso-b":  {Name: "aws-iso-b", DNSSuffix: "sc2s.sgov.gov", regionPrefixes: []string{"us-isob-"}},
	"aws-iso-e":  {Name: "aws-iso-e", DNSSuffix: "cloud.adc-e.uk", regionPrefixes: []string{"eu-isoe-"}},
	"aws-iso-f":  {Name: "aws-iso-f", DNSSuffix: "csp.hci.ic.gov", regionPrefixes: []string{"us-isof-"}},
}

// PartitionNames lists the known partitions, sorted.
func PartitionNames() []string {
	names := make([]string, 0, len(partitions))
	for n := range partitions {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

var regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)

// PartitionOf returns the partition a region belongs to.
func PartitionOf(region string) (Partition, error) {
	if !regionRE.MatchString(region) {
		return Partition{}, fieldErr("region", "%q is not an AWS region name (for example us-east-1, eu-central-1, cn-north-1)", region)
	}
	for _, p := range partitions {
		for _, prefix := range p.regionPrefixes {
			if strings.HasPrefix(region, prefix) {
				return p, nil
			}
		}
	}
	return partitions["aws"], nil
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
		return fieldErr("region", "%q is in partition %q but the role %q is in %q; set --region to a region of %q", region, p.Name, a.raw, a.Partition, a.Partition)
	}
	return nil
}
