package exchange

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPartitions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		region, partition, endpoint, audience string
	}{
		{"us-east-1", "aws", "https://sts.us-east-1.amazonaws.com", "sts.amazonaws.com"},
		{"eu-central-1", "aws", "https://sts.eu-central-1.amazonaws.com", "sts.amazonaws.com"},
		{"cn-north-1", "aws-cn", "https://sts.cn-north-1.amazonaws.com.cn", "sts.amazonaws.com.cn"},
		{"us-gov-west-1", "aws-us-gov", "https://sts.us-gov-west-1.amazonaws.com", "sts.amazonaws.com"},
		{"us-iso-east-1", "aws-iso", "https://sts.us-iso-east-1.c2s.ic.gov", "sts.amazonaws.com"},
		{"us-isob-east-1", "aws-iso-b", "https://sts.us-isob-east-1.sc2s.sgov.gov", "sts.amazonaws.com"},
	}
	for _, tc := range cases {
		t.Run(tc.region, func(t *testing.T) {
			t.Parallel()
			p, err := PartitionOf(tc.region)
			if err != nil {
				t.Fatal(err)
			}
			ep, _ := STSEndpoint(tc.region)
			got := []string{p.Name, ep, Audience(tc.region)}
			if diff := cmp.Diff([]string{tc.partition, tc.endpoint, tc.audience}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	for _, bad := range []string{"", "US-EAST-1", "us-east", "mars-1", "us-east-1.evil.com"} {
		if _, err := STSEndpoint(bad); err == nil {
			t.Errorf("STSEndpoint(%q) accepted", bad)
		}
	}
}

func TestCheckPartition(t *testing.T) {
	t.Parallel()
	cn, _ := ParseARN("arn:aws-cn:iam::123456789012:role/deploy")
	if err := CheckPartition(cn, "cn-northwest-1"); err != nil {
		t.Errorf("cn role in cn region: %v", err)
	}
	checkErr(t, CheckPartition(cn, "us-east-1"), `is in partition "aws" but the role`, "region")
}
