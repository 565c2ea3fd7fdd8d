package screening

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestArchiveSearchMissesNothing checks the pruned search (rarest terms
// first, per-decision bounds, Bloom filters for the common terms) against
// an exact score of every decision: each decision whose exact similarity
// reaches the threshold is returned, with at least that score (a Bloom
// false positive can only add weight).
func TestArchiveSearchMissesNothing(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	a := newArchive()
	var texts []string
	for i := range 3000 {
		d := benchDecision(r, i)
		text := prepare(d.Title + " " + d.Text)
		texts = append(texts, text)
		a.add(d, text, "", 0)
	}
	// Replace some: the replaced decisions must never be returned.
	for i := 0; i < 3000; i += 97 {
		d := benchDecision(r, i)
		text := prepare(d.Title + " " + d.Text)
		texts = append(texts, text)
		a.add(d, text, "", 0)
	}
	live := map[string]int{}
	for doc := range a.docs {
		live[a.docs[doc].id] = doc // the last added of an ID is the live one
	}
	docKeys := make([][]uint64, len(texts))
	for i, text := range texts {
		docKeys[i] = termKeys(text, nil)
	}
	exact := func(qk []uint64, doc int) float64 {
		dk := docKeys[doc]
		N := float64(a.live)
		maxDF := uint32(max(200, a.live/20))
		var total, raw float64
		for _, key := range qk {
			var df uint32
			if t, ok := a.terms[key]; ok {
				df = a.postings[t].df
			}
			if df > maxDF {
				continue
			}
			w := idf(N, df)
			if isUnigram(key) {
				w *= 0.5
			}
			total += w
			if df > 0 {
				if _, ok := slices.BinarySearch(dk, key); ok {
					raw += w
				}
			}
		}
		if total == 0 {
			return 0
		}
		avgdl := float64(a.totalLen) / N
		norm := (bm25K1 + 1) / (1 + bm25K1*(1-bm25B+bm25B*float64(a.docs[doc].dl)/avgdl))
		return math.Min(1, raw*norm/total)
	}
	for q := range 60 {
		query := prepare(benchProposal(r))
		qk := termKeys(query, nil)
		for _, min := range []float64{0.3, 0.5, 0.7} {
			got, _ := a.search(query, len(a.docs), min)
			scores := map[uint32]float64{}
			for _, c := range got {
				scores[c.doc] = c.score
				if live[a.docs[c.doc].id] != int(c.doc) {
					t.Fatalf("query %d: replaced decision %d returned", q, c.doc)
				}
			}
			for doc := range a.docs {
				if live[a.docs[doc].id] != doc {
					continue
				}
				want := exact(qk, doc)
				if want < min {
					continue
				}
				sc, ok := scores[uint32(doc)]
				if !ok || sc < want-1e-6 {
					t.Fatalf("query %q min %.1f: decision %d exact %.3f, search gave %.3f (found %v)", query, min, doc, want, sc, ok)
				}
			}
		}
	}
}
