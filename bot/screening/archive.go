package screening

import (
	"hash/fnv"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// archive is an incremental inverted index over past decisions (五不议
// rule 3). Terms are character unigrams and bigrams of Chinese text plus
// whole Latin/digit tokens, so no word segmentation is needed. Postings are
// delta-encoded doc numbers (varint) with binary term frequency; adding a
// decision appends to the postings of its terms and never rebuilds.
//
// Similarity is query-normalised BM25 with binary tf: the share of the
// proposal's IDF weight that a decision also contains, with a mild length
// normalisation so that a long, broad decision does not match everything.
// A proposal "is" a past decision when most of what it asks is in it.
type archive struct {
	mu       sync.RWMutex
	terms    map[uint64]uint32
	postings []postingList
	docs     []docMeta
	byID     map[string]uint32
	live     int
	totalLen uint64
	accPool  sync.Pool
	// blooms holds bloomWords words per doc: a Bloom filter of the doc's
	// terms, used to score the common (non-essential) query terms on the
	// few candidates without walking their long postings.
	blooms []uint64
	// dls and dead repeat docs[i].dl and docs[i].deleted densely: search
	// reads them for every candidate, and docMeta is too wide for the cache.
	dls  []uint16
	dead []uint64 // bit set
	// maxDFShare: a term in more than 1/maxDFShare of the docs (and more
	// than 200) is a stop word; 0 means 20.
	maxDFShare int
}

const bloomWords = 8 // 512 bits; ~7% false positives at 80 terms, k = 2

func bloomBits(key uint64) (uint, uint) {
	h := key * 0x9E3779B97F4A7C15
	h ^= h >> 29
	h *= 0xBF58476D1CE4E5B9
	h ^= h >> 32
	return uint(h % (bloomWords * 64)), uint((h >> 32) % (bloomWords * 64))
}

type postingList struct {
	data []byte
	df   uint32
	last uint32 // last doc number appended
}

type docMeta struct {
	id, title, decidedOn string
	places               string // normalised place names, "|"-separated
	years                uint64 // bit y-2000 for the years the decision names or was taken in
	dl                   uint16 // number of distinct terms
	deleted              bool
}

const (
	bm25K1 = 1.2
	bm25B  = 0.3
)

func newArchive() *archive {
	return &archive{terms: map[uint64]uint32{}, byID: map[string]uint32{}}
}

// term keys: a unigram is the rune, a bigram sets bit 63, a Latin/digit
// token sets bit 62 over an FNV hash.
const (
	bigramBit = 1 << 63
	tokenBit  = 1 << 62
)

func isUnigram(k uint64) bool { return k&(bigramBit|tokenBit) == 0 }

// stop characters carry no topic on their own (they still form bigrams).
var stopRunes = func() map[rune]bool {
	m := map[rune]bool{}
	for _, r := range "的了着过在是和与及或把被对于也都就将要请个这那些吗呢吧啊呀哦嗯我你他她它们有没很还再能会可以让给从向到为并等" {
		m[r] = true
	}
	return m
}()

var stopBigrams = func() map[uint64]bool {
	m := map[uint64]bool{}
	for _, w := range []string{"建议", "希望", "关于", "决议", "我们", "大家", "一下", "能否", "是否", "可以", "通过", "同意", "事项", "进行", "一些", "这个", "那个", "的事", "问题", "提议", "要求", "请求", "觉得", "现在"} {
		rs := []rune(w)
		m[bigramKey(rs[0], rs[1])] = true
	}
	return m
}()

func bigramKey(a, b rune) uint64 { return bigramBit | uint64(a)<<21 | uint64(b) }

// termKeys appends the distinct term keys of prepared text to dst.
func termKeys(text string, dst []uint64) []uint64 {
	dst = dst[:0]
	var prev rune = -1
	tokStart := -1
	flushTok := func(end int) {
		if tokStart >= 0 {
			h := fnv.New64a()
			h.Write([]byte(strings.ToLower(text[tokStart:end])))
			dst = append(dst, tokenBit|(h.Sum64()&(tokenBit-1)))
			tokStart = -1
		}
	}
	for i, r := range text {
		switch {
		case unicode.Is(unicode.Han, r):
			flushTok(i)
			if !stopRunes[r] {
				dst = append(dst, uint64(r))
			}
			if prev >= 0 {
				if k := bigramKey(prev, r); !stopBigrams[k] {
					dst = append(dst, k)
				}
			}
			prev = r
		case r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			prev = -1
			if tokStart < 0 {
				tokStart = i
			}
		default:
			flushTok(i)
			prev = -1
		}
	}
	flushTok(len(text))
	sort.Slice(dst, func(i, j int) bool { return dst[i] < dst[j] })
	out := dst[:0]
	for i, k := range dst {
		if i == 0 || k != dst[i-1] {
			out = append(out, k)
		}
	}
	return out
}

// add indexes one decision (prepared text = title + text). A decision
// with an ID already present replaces it.
func (a *archive) add(d Decision, prepared string, places string, years uint64) {
	keys := termKeys(prepared, nil)
	a.mu.Lock()
	defer a.mu.Unlock()
	if old, ok := a.byID[d.ID]; ok && d.ID != "" {
		if !a.docs[old].deleted {
			a.docs[old].deleted = true
			a.dead[old/64] |= 1 << (old % 64)
			a.live--
			a.totalLen -= uint64(a.docs[old].dl)
		}
	}
	doc := uint32(len(a.docs))
	dl := len(keys)
	if dl > math.MaxUint16 {
		dl = math.MaxUint16
	}
	a.docs = append(a.docs, docMeta{id: d.ID, title: d.Title, decidedOn: d.DecidedOn, places: places, years: years, dl: uint16(dl)})
	if d.ID != "" {
		a.byID[d.ID] = doc
	}
	a.live++
	a.totalLen += uint64(dl)
	var bloom [bloomWords]uint64
	for _, k := range keys {
		b1, b2 := bloomBits(k)
		bloom[b1/64] |= 1 << (b1 % 64)
		bloom[b2/64] |= 1 << (b2 % 64)
	}
	a.blooms = append(a.blooms, bloom[:]...)
	a.dls = append(a.dls, uint16(dl))
	if int(doc/64) >= len(a.dead) {
		a.dead = append(a.dead, 0)
	}
	for _, k := range keys {
		t, ok := a.terms[k]
		if !ok {
			t = uint32(len(a.postings))
			a.terms[k] = t
			a.postings = append(a.postings, postingList{})
		}
		p := &a.postings[t]
		delta := doc - p.last
		if p.df == 0 {
			delta = doc
		}
		p.data = appendUvarint(p.data, delta)
		p.df++
		p.last = doc
	}
}

func appendUvarint(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// candidate is a decision scored against a proposal.
type candidate struct {
	doc   uint32
	score float64
}

type accumulator struct {
	acc     []float32
	touched []uint32
	keys    []uint64
	qterms  []qterm
}

// search returns up to k decisions whose similarity is at least min, best
// first. Terms in more than maxDF decisions are stop words on both sides of
// the ratio. Query terms are taken rarest first (MaxScore): only the rare
// "essential" terms, without which no decision can reach min, walk their
// postings; the common rest are added to the surviving candidates through
// the per-decision Bloom filters, so their long postings are never read.
func (a *archive) search(prepared string, k int, min float64) ([]candidate, []docMeta) {
	ac, _ := a.accPool.Get().(*accumulator)
	if ac == nil {
		ac = &accumulator{}
	}
	defer a.accPool.Put(ac)
	ac.keys = termKeys(prepared, ac.keys)

	a.mu.RLock()
	defer a.mu.RUnlock()
	n := len(a.docs)
	if a.live == 0 || len(ac.keys) == 0 {
		return nil, nil
	}
	if cap(ac.acc) < n {
		ac.acc = make([]float32, n+n/4)
	}
	acc := ac.acc[:n]
	ac.touched = ac.touched[:0]
	N := float64(a.live)
	avgdl := float64(a.totalLen) / N
	share := a.maxDFShare
	if share == 0 {
		share = 20
	}
	maxDF := uint32(max(200, a.live/share))
	qs := ac.qterms[:0]
	var total float64
	for _, key := range ac.keys {
		t, ok := a.terms[key]
		var df uint32
		if ok {
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
			qs = append(qs, qterm{key: key, t: t, df: df, w: w})
		}
	}
	ac.qterms = qs
	if total == 0 || len(qs) == 0 {
		return nil, nil
	}
	sort.Slice(qs, func(i, j int) bool { return qs[i].df < qs[j].df })
	// normMax bounds the BM25 length factor (shortest possible decision).
	normMax := (bm25K1 + 1) / (1 + bm25K1*(1-bm25B))
	need := min * total / normMax // raw weight a decision needs at best
	rest := 0.0
	for _, q := range qs {
		rest += q.w
	}
	ess := 0
	for ess < len(qs) && rest >= need {
		rest -= qs[ess].w
		ess++
	}
	for _, q := range qs[:ess] {
		data := a.postings[q.t].data
		var doc uint32
		for i := 0; i < len(data); {
			var v uint32
			var s uint
			for {
				c := data[i]
				i++
				v |= uint32(c&0x7f) << s
				if c < 0x80 {
					break
				}
				s += 7
			}
			doc += v
			if acc[doc] == 0 {
				ac.touched = append(ac.touched, doc)
			}
			acc[doc] += float32(q.w)
		}
	}
	// The length factor of every short decision, once per search.
	var norms [128]float64
	for dl := range norms {
		norms[dl] = (bm25K1 + 1) / (1 + bm25K1*(1-bm25B+bm25B*float64(dl)/avgdl))
	}
	var out []candidate
	for _, d := range ac.touched {
		// The bound per decision: its own length factor, not the best one.
		var norm float64
		if dl := a.dls[d]; int(dl) < len(norms) {
			norm = norms[dl]
		} else {
			norm = (bm25K1 + 1) / (1 + bm25K1*(1-bm25B+bm25B*float64(dl)/avgdl))
		}
		needD := min * total / norm * (1 - 1e-9) // never prune on rounding
		raw := float64(acc[d])
		left := rest
		if raw+left < needD {
			continue
		}
		bloom := a.blooms[int(d)*bloomWords : int(d+1)*bloomWords]
		for _, q := range qs[ess:] {
			left -= q.w
			b1, b2 := bloomBits(q.key)
			if bloom[b1/64]&(1<<(b1%64)) != 0 && bloom[b2/64]&(1<<(b2%64)) != 0 {
				raw += q.w
			} else if raw+left < needD {
				break
			}
		}
		if sc := math.Min(1, raw*norm/total); sc >= min && a.dead[d/64]&(1<<(d%64)) == 0 {
			out = insertTopK(out, candidate{doc: d, score: sc}, k)
		}
	}
	for _, d := range ac.touched {
		acc[d] = 0
	}
	metas := make([]docMeta, len(out))
	for i, c := range out {
		metas[i] = a.docs[c.doc]
	}
	return out, metas
}

// better orders candidates best first, the newer first on a tie.
func better(a, b candidate) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.doc > b.doc
}

// insertTopK keeps out as the best k candidates in order: k is small (at
// most a few dozen), so insertion beats sorting every candidate.
func insertTopK(out []candidate, c candidate, k int) []candidate {
	if k <= 0 {
		return out
	}
	if len(out) == k && !better(c, out[k-1]) {
		return out
	}
	i := sort.Search(len(out), func(i int) bool { return better(c, out[i]) })
	if len(out) < k {
		out = append(out, candidate{})
	}
	copy(out[i+1:], out[i:len(out)-1])
	out[i] = c
	return out
}

type qterm struct {
	key uint64
	t   uint32
	df  uint32
	w   float64
}

// idf is a smoothed inverse document frequency. Terms absent from the
// archive weigh as much as terms in one decision: otherwise, in a small
// archive, every word the proposal adds would drown what it shares.
func idf(n float64, df uint32) float64 {
	return math.Log(1 + (n+1)/float64(max(df, 1)+1))
}

func (a *archive) size() int {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.live
}

// placeSuffixes end the names of places whose identity matters: the same
// kind of place with a different name is a different matter.
var placeSuffixes = []string{"门前", "广场", "公园", "小区", "号楼", "幢", "栋", "单元", "组", "自然村", "路", "街", "巷", "弄", "桥", "河", "溪", "塘", "水库", "礼堂", "大楼", "新村", "苑", "园", "停车场", "菜场", "市场", "公厕", "学校", "幼儿园", "山", "岭", "畈", "村"}

// placeStops end a place specifier scanning backwards.
const placeStops = "在的把给到和与跟及对从向将让、，,。 要请建议希望把在于是了个条座这那每各整全本我们该建成修装改设搞做办造弄片块处用利也些进"

// notPlaces are words that begin with a place suffix but name a thing, not
// a place (路灯 is a lamp, not a road called 太阳能路; 村规 is not a village).
var notPlaces = []string{"路灯", "路面", "路况", "路费", "路线", "路由", "村规", "村民", "村委", "村集体", "村里", "村干部", "组织", "组长", "组成", "组团", "园林", "桥面", "山林", "河道"}

// extractPlaces finds "specifier + suffix" place names, e.g. 文化广场,
// 东门广场, 3号楼, 第2组. Only places with a specifier are returned.
func extractPlaces(text string) []string {
	var out []string
	for _, suf := range placeSuffixes {
		for off := 0; ; {
			i := strings.Index(text[off:], suf)
			if i < 0 {
				break
			}
			i += off
			off = i + len(suf)
			if slices.ContainsFunc(notPlaces, func(w string) bool { return strings.HasPrefix(text[i:], w) }) {
				continue
			}
			j, n := i, 0
			for j > 0 && n < 4 {
				r, size := utf8.DecodeLastRuneInString(text[:j])
				if strings.ContainsRune(placeStops, r) || !(unicode.Is(unicode.Han, r) || unicode.IsDigit(r) || unicode.IsLetter(r)) {
					break
				}
				j -= size
				n++
			}
			if j == i {
				continue
			}
			if p := text[j:off]; !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// comparePlaces compares the places of a proposal (ps) with those of a
// decision (qs): conflict when a proposal place has the same kind (suffix)
// as a decision place but is none of them, same when a proposal place is
// one of the decision's.
func comparePlaces(ps, qs []string) (conflict, same bool) {
	for _, p := range ps {
		matched, kind := false, false
		for _, q := range qs {
			if p == q || strings.HasSuffix(p, q) || strings.HasSuffix(q, p) {
				matched = true
				break
			}
			for _, suf := range placeSuffixes {
				if strings.HasSuffix(p, suf) && strings.HasSuffix(q, suf) {
					kind = true
					break
				}
			}
		}
		same = same || matched
		conflict = conflict || (!matched && kind)
	}
	return conflict, same
}

// yearsIn returns the bit set of the years 2000-2063 that text names
// (2024年, 二〇二四年 after numeral canonicalisation, 今年/去年/明年).
func yearsIn(text string, now int) uint64 {
	var set uint64
	addYear := func(y int) {
		if y >= 2000 && y < 2064 {
			set |= 1 << uint(y-2000)
		}
	}
	for i := 0; i+4 <= len(text); i++ {
		if (text[i] == '1' || text[i] == '2') && (i == 0 || !isDigitByte(text[i-1])) {
			if i+4 <= len(text) && isDigitByte(text[i+1]) && isDigitByte(text[i+2]) && isDigitByte(text[i+3]) && (i+4 == len(text) || !isDigitByte(text[i+4])) {
				y, _ := strconv.Atoi(text[i : i+4])
				addYear(y)
			}
		}
	}
	if now > 0 {
		if strings.Contains(text, "今年") || strings.Contains(text, "本年度") {
			addYear(now)
		}
		if strings.Contains(text, "去年") {
			addYear(now - 1)
		}
		if strings.Contains(text, "明年") {
			addYear(now + 1)
		}
	}
	return set
}

func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }

func yearOf(date string) int {
	if len(date) >= 4 {
		if y, err := strconv.Atoi(date[:4]); err == nil {
			return y
		}
	}
	return 0
}
