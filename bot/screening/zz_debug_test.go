package screening

import (
	"fmt"
	"os"
	"testing"
)

func TestZZDebug(t *testing.T) {
	s := evalScreenerWith(t, "testdata/blind_archive.jsonl")
	for _, it := range readJSONL[evalItem](t, "testdata/blind.jsonl") {
		if it.rule() != 3 && os.Getenv("ALL") == "" {
			continue
		}
		p := prepare(it.Text)
		aq := archiveText(p)
		cands, metas := s.arch.search(aq, 3, 0.05)
		fmt.Printf("%v %s\n   %s\n", it.Want, it.Text, aq)
		for i, c := range cands {
			fmt.Printf("   %.2f %s %v\n", c.score, metas[i].title, extractPlaces(aq))
		}
		r := s.Screen(it.Text)
		fmt.Println("   ->", r.Verdict, r.Rules, r.Matches)
	}
}
