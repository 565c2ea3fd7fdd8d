package screening

import (
	"fmt"
	"testing"
)

func TestDebugScores(t *testing.T) {
	s := evalScreener(t)
	for _, it := range readJSONL[evalItem](t, "testdata/eval.jsonl") {
		c, m := s.arch.search(archiveText(prepare(it.Text)), 1, 0)
		if len(c) > 0 {
			fmt.Printf("%v\t%.2f\t%s\t%s\n", it.Want, c[0].score, m[0].title, it.Text)
		}
	}
}
