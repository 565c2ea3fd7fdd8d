package config

import (
	"fmt"
	"strings"
	"testing"
)

func BenchmarkParseSample(b *testing.B) {
	data := SampleYAML()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(SampleFile, data); err != nil {
			b.Fatal(err)
		}
	}
}

// bigVillage is a file with n members, each with a telegram identity.
func bigVillage(n int) []byte {
	var s strings.Builder
	s.WriteString(valid)
	for i := range n {
		fmt.Fprintf(&s, "  - {id: m%d, name: 村民%d, roles: [resident], identities: {telegram: \"%d\"}}\n", i, i, 200000+i)
	}
	return []byte(s.String())
}

func BenchmarkParse2000Members(b *testing.B) {
	data := bigVillage(2000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("big.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

// Every incoming message resolves its sender; the roster is scanned
// linearly, which must stay cheap for a large village.
func BenchmarkMemberByIdentity2000(b *testing.B) {
	c, err := Parse("big.yaml", bigVillage(2000))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if c.MemberByIdentity("telegram", "201999") == nil {
			b.Fatal("not found")
		}
	}
}
