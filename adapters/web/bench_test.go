package web_test

import (
	"context"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yishi-community/yishi/adapters/web"
	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/storage/memstore"
)

// benchCommunity has the officers and n representatives.
func benchCommunity(tb testing.TB, n int) *config.Community {
	tb.Helper()
	var sb strings.Builder
	sb.WriteString("id: bench\nname: 基准村\ngroups:\n  - {name: 议事群, platform: console, chat: 议事群}\nroster:\n")
	sb.WriteString("  - {id: shuji, name: 书记, roles: [secretary]}\n  - {id: weiyuan, name: 委员, roles: [committee]}\n  - {id: jianwei, name: 监委, roles: [supervisor]}\n")
	for i := range n {
		fmt.Fprintf(&sb, "  - {id: r%04d, name: 代表%04d, roles: [representative]}\n", i, i)
	}
	c, err := config.Parse("bench.yaml", []byte(sb.String()))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// thousandTopics opens an engine on a memory store with topics published
// with a follow-up item (most), voting or planned, and one more topic in
// an open vote of the whole roster (for the votes measured beside the
// readers).
func thousandTopics(tb testing.TB, topics, voters int) (*engine.Engine, *config.Community, string) {
	tb.Helper()
	ctx := context.Background()
	comm := benchCommunity(tb, voters)
	e, err := engine.Open(ctx, engine.Options{Store: memstore.New(), Communities: []*config.Community{comm}, Logger: quiet()})
	if err != nil {
		tb.Fatal(err)
	}
	sec, rec, sup := comm.Member("shuji"), comm.Member("weiyuan"), comm.Member("jianwei")
	var ids []string
	var reps []*bot.Member
	for i := range comm.Roster {
		if comm.Roster[i].Has(bot.RoleRepresentative) {
			ids = append(ids, comm.Roster[i].ID)
			reps = append(reps, &comm.Roster[i])
		}
	}
	do := func(fn func(tx *engine.Tx) error) {
		if _, err := e.Do(ctx, "", fn); err != nil {
			tb.Fatal(err)
		}
	}
	open := func(tx *engine.Tx, n int, parts []string, present []*bot.Member) string {
		t, err := tx.Propose("bench", reps[n%len(reps)], engine.Draft{Title: fmt.Sprintf("议题%d：村道安装路灯", n), Content: "村道晚上很黑，希望安装路灯。", Affected: "全体村民", Channel: bot.ChannelSelf}, bot.Screening{Verdict: "admissible"})
		if err != nil {
			tb.Fatal(err)
		}
		must(tb, func() error {
			_, err := tx.Approve("bench", t.ID, sec, engine.Approval{Category: 1, Participants: parts, Chair: sec.ID, Recorder: rec.ID, Supervisor: sup.ID})
			return err
		})
		must(tb, func() error {
			_, err := tx.SetPlan("bench", t.ID, sec, bot.Plan{Time: tx.Now().Add(-time.Hour), Place: "村委会", Form: bot.FormOnSite, Ballot: bot.BallotOpen})
			return err
		})
		if n%10 == 9 {
			return t.ID // planned, not held yet
		}
		must(tb, func() error { _, err := tx.OpenMeeting("bench", t.ID, sec); return err })
		for _, v := range present {
			must(tb, func() error { _, _, err := tx.CheckIn("bench", t.ID, v); return err })
		}
		must(tb, func() error { _, err := tx.OpenVote("bench", t.ID, sec, "同意安装"); return err })
		return t.ID
	}
	small := ids[:12]
	for n := range topics {
		do(func(tx *engine.Tx) error {
			id := open(tx, n, small, reps[:12])
			if n%10 == 9 || n%10 == 8 {
				return nil // planned, or in the vote
			}
			for i, v := range reps[:12] {
				if _, err := tx.CastVote("bench", id, v, []bot.Choice{bot.ChoiceFor, bot.ChoiceFor, bot.ChoiceAgainst}[i%3], false); err != nil {
					return err
				}
			}
			// The vote closed itself: every present participant voted.
			if _, err := tx.Publish("bench", id, sec); err != nil {
				return err
			}
			_, _, err := tx.AddFollowUp("bench", id, sec, bot.FollowUp{What: "采购安装路灯", Responsible: rec.ID, Due: tx.Now().AddDate(0, 1, 0), Supervision: "监委会验收"})
			if err != nil && bot.ErrorCode(err) != bot.ECONFLICT {
				return err // a failed vote takes no items
			}
			return nil
		})
	}
	var voteID string
	do(func(tx *engine.Tx) error { voteID = open(tx, topics, ids, reps); return nil })
	// Drop what the actions queued for the chats: nobody delivers it here.
	var seqs []uint64
	for _, o := range e.OutboxReady(time.Now().Add(time.Hour), 1<<30) {
		seqs = append(seqs, o.Seq)
	}
	if err := e.OutboxDone(ctx, seqs...); err != nil {
		tb.Fatal(err)
	}
	return e, comm, voteID
}

func must(tb testing.TB, fn func() error) {
	tb.Helper()
	if err := fn(); err != nil {
		tb.Fatal(err)
	}
}

// load runs readers goroutines that GET path from h until each did per
// requests, and returns every latency.
func load(h http.Handler, path string, readers, per int) []time.Duration {
	var mu sync.Mutex
	var all []time.Duration
	var wg sync.WaitGroup
	for range readers {
		wg.Go(func() {
			lat := make([]time.Duration, 0, per)
			for range per {
				r := httptest.NewRequest(http.MethodGet, path, nil)
				w := &countingWriter{h: http.Header{}, code: http.StatusOK}
				t0 := time.Now()
				h.ServeHTTP(w, r)
				lat = append(lat, time.Since(t0))
				if w.code != http.StatusOK || w.n == 0 {
					panic(fmt.Sprintf("GET %s: %d, %d bytes", path, w.code, w.n))
				}
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return all
}

// steppingClock moves on at every reading.
type steppingClock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

func (c *steppingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.step)
	return c.t
}

// countingWriter stands for the connection: it counts the bytes, so the
// figures are the handler's, not a recorder's buffer growth.
type countingWriter struct {
	h    http.Header
	code int
	n    int
}

func (c *countingWriter) Header() http.Header         { return c.h }
func (c *countingWriter) WriteHeader(code int)        { c.code = code }
func (c *countingWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

func pct(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

var trivial = template.Must(template.New("t").Parse(`<!DOCTYPE html><title>{{.}}</title><p>{{.}}</p>`))

// rssMB reads the process's resident set (VmRSS) and its peak (VmHWM).
func rssMB() (now, peak float64) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		var kb float64
		if _, err := fmt.Sscanf(l, "VmRSS: %f kB", &kb); err == nil {
			now = kb / 1024
		}
		if _, err := fmt.Sscanf(l, "VmHWM: %f kB", &kb); err == nil {
			peak = kb / 1024
		}
	}
	return now, peak
}

// BenchmarkBoard: the board of a community with 1,000 topics under 50
// concurrent readers, against a trivial template served the same way in
// the same run; and votes cast while the readers run, against votes cast
// alone.
//
//	go test ./adapters/web -run XXX -bench Board -benchtime 1x
func BenchmarkBoard(b *testing.B) {
	const topics, voters, readers, per = 1000, 200, 50, 20
	t0 := time.Now()
	e, comm, voteID := thousandTopics(b, topics, voters)
	b.Logf("built %d topics in %s", topics, time.Since(t0).Round(time.Millisecond))
	srv := web.New(web.Config{Engine: e, Logger: quiet()})
	base := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = trivial.Execute(w, "村务公开栏")
	})
	// The page really lists them all; the first request renders it.
	w := httptest.NewRecorder()
	t1 := time.Now()
	srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	cold := time.Since(t1)
	if n := strings.Count(w.Body.String(), "<tr data-topic="); n != topics+1 {
		b.Fatalf("board lists %d topics, want %d", n, topics+1)
	}
	b.Logf("board page: %d bytes", w.Body.Len())
	var reps []*bot.Member
	for i := range comm.Roster {
		if comm.Roster[i].Has(bot.RoleRepresentative) {
			reps = append(reps, &comm.Roster[i])
		}
	}
	vote := func(from, to int) []time.Duration {
		var lat []time.Duration
		for i := from; i < to; i++ {
			t0 := time.Now()
			if _, err := e.Do(context.Background(), "", func(tx *engine.Tx) error {
				_, err := tx.CastVote("bench", voteID, reps[i], bot.ChoiceFor, false)
				return err
			}); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		return lat
	}
	// A pessimistic server too: its clock moves 1.1 s at every reading, so
	// each request checks the engine and the page is rendered again every
	// minute of that clock (about every 25 requests).
	stepping := web.New(web.Config{Engine: e, Logger: quiet(), Clock: &steppingClock{t: time.Now(), step: 1100 * time.Millisecond}})
	b.ResetTimer()
	for range b.N {
		baseLat := load(base, "/", readers, per)
		boardLat := load(srv, "/", readers, per)
		alone := vote(0, voters/2)
		var during []time.Duration
		done := make(chan struct{})
		go func() { defer close(done); during = vote(voters/2, voters) }()
		loaded := load(srv, "/", readers, per)
		<-done
		stepLat := load(stepping, "/", readers, per)
		b.ReportMetric(ms(pct(stepLat, 0.99)), "board-p99-revalidating-ms")
		b.ReportMetric(ms(pct(stepLat, 0.50)), "board-p50-revalidating-ms")
		b.ReportMetric(ms(cold), "board-cold-render-ms")
		b.ReportMetric(ms(pct(loaded, 0.99)), "board-p99-during-votes-ms")
		b.ReportMetric(ms(pct(boardLat, 0.99)), "board-p99-ms")
		b.ReportMetric(ms(pct(boardLat, 0.50)), "board-p50-ms")
		b.ReportMetric(ms(pct(baseLat, 0.99)), "trivial-p99-ms")
		b.ReportMetric(ms(pct(boardLat, 0.99))/max(ms(pct(baseLat, 0.99)), 0.001), "x-trivial-p99")
		b.ReportMetric(ms(pct(alone, 0.99)), "vote-alone-p99-ms")
		b.ReportMetric(ms(pct(during, 0.99)), "vote-under-readers-p99-ms")
		// Restore the open vote for the next iteration: cast votes stay
		// (CastVote on a changed vote is accepted as a change).
	}
	b.StopTimer()
	now, peak := rssMB()
	b.ReportMetric(now, "rss-MB")
	b.ReportMetric(peak, "peak-rss-MB")
	// The memory store keeps the whole audit log of the 1,000 topics in
	// the heap (badger would keep it on disk): the heap in use after a GC
	// says what the engine and the web pages hold.
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	b.ReportMetric(float64(m.HeapInuse)/(1<<20), "heap-inuse-MB")
	runtime.KeepAlive(e)
	runtime.KeepAlive(srv)
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// BenchmarkBoardOne: one reader whose every request renders the board of
// 1,000 topics (the clock moves a minute at every reading), for profiles.
func BenchmarkBoardOne(b *testing.B) {
	e, _, _ := thousandTopics(b, 1000, 12)
	srv := web.New(web.Config{Engine: e, Logger: quiet(), Clock: &steppingClock{t: time.Now(), step: time.Minute}})
	b.ResetTimer()
	for range b.N {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	}
}

// TestBoardCacheFollowsChanges: the cached board is rendered again when a
// topic changes.
func TestBoardCacheFollowsChanges(t *testing.T) {
	e, comm, _ := thousandTopics(t, 3, 12)
	clock := &fakeClock{t: time.Now()}
	srv := web.New(web.Config{Engine: e, Logger: quiet(), Clock: clock})
	rows := func() int {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
		return strings.Count(w.Body.String(), "<tr data-topic=")
	}
	if n := rows(); n != 4 {
		t.Fatalf("board rows %d, want 4", n)
	}
	sec := comm.Member("shuji")
	if _, err := e.Do(context.Background(), "", func(tx *engine.Tx) error {
		tp, err := tx.Propose("bench", comm.Member("r0001"), engine.Draft{Title: "新议题：修桥", Content: "村西小桥的栏杆坏了。", Affected: "全体村民", Channel: bot.ChannelSelf}, bot.Screening{Verdict: "admissible"})
		if err != nil {
			return err
		}
		_, err = tx.Approve("bench", tp.ID, sec, engine.Approval{Category: 1, Participants: []string{"r0001"}, Chair: sec.ID, Recorder: "weiyuan", Supervisor: "jianwei"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if n := rows(); n != 4 {
		t.Fatalf("within a second of its rendering the board is served as rendered: %d rows", n)
	}
	clock.Add(time.Second)
	if n := rows(); n != 5 {
		t.Fatalf("after a new approved topic the board has %d rows, want 5", n)
	}
}

// TestRunningVoteShowsNoCount: while a round is in its vote, no page shows
// a count or who voted what, even for an open ballot.
func TestRunningVoteShowsNoCount(t *testing.T) {
	e, comm, _ := thousandTopics(t, 10, 12)
	srv := web.New(web.Config{Engine: e, Logger: quiet()})
	// Topic #9 (the ninth) is in its vote; two of twelve have voted.
	for _, id := range []string{"r0000", "r0001"} {
		if _, err := e.Do(context.Background(), "", func(tx *engine.Tx) error {
			_, err := tx.CastVote("bench", "9", comm.Member(id), bot.ChoiceAgainst, false)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"/", "/topics/9", "/topics/9/record.html", "/export/topics.json", "/export/topics.csv"} {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, p, nil))
		body := w.Body.String()
		if w.Code != 200 {
			t.Fatalf("GET %s: %d", p, w.Code)
		}
		for _, bad := range []string{"代表0000", "反对(2人)", "反对2", `"against": 2`} {
			if strings.Contains(body, bad) && !(bad == "代表0000" && p == "/topics/9/record.html") {
				t.Errorf("GET %s during the vote shows %q", p, bad)
			}
		}
	}
	// The sheet names participants (as the paper form does) but lists no
	// one by choice.
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/topics/9/record.html", nil))
	if strings.Contains(w.Body.String(), "反对(") || !strings.Contains(w.Body.String(), "尚未表决") {
		t.Errorf("the sheet of a running vote shows choices or no 尚未表决")
	}
	w = httptest.NewRecorder()
	srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/topics/9", nil))
	if !strings.Contains(w.Body.String(), "表决进行中") {
		t.Errorf("/topics/9 does not say the vote is running")
	}
}

// TestCommunitySelector: one bot serving two communities lists both on the
// board, and ?c= picks one for every page.
func TestCommunitySelector(t *testing.T) {
	houchen, bench := config.Sample(), benchCommunity(t, 3)
	e, err := engine.Open(context.Background(), engine.Options{Store: memstore.New(), Communities: []*config.Community{houchen, bench}, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	sec := bench.Member("shuji")
	if _, err := e.Do(context.Background(), "", func(tx *engine.Tx) error {
		tp, err := tx.Propose("bench", bench.Member("r0001"), engine.Draft{Title: "基准村修桥", Content: "村西小桥的栏杆坏了。", Affected: "全体村民", Channel: bot.ChannelSelf}, bot.Screening{Verdict: "admissible"})
		if err != nil {
			return err
		}
		_, err = tx.Approve("bench", tp.ID, sec, engine.Approval{Category: 1, Participants: []string{"r0001"}, Chair: sec.ID, Recorder: "weiyuan", Supervisor: "jianwei"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	srv := web.New(web.Config{Engine: e, Logger: quiet()})
	get := func(p string) (int, string) {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, p, nil))
		return w.Code, w.Body.String()
	}
	code, body := get("/")
	if code != 200 || !strings.Contains(body, `<strong>后陈村</strong>`) || !strings.Contains(body, `<a href="/?c=bench">基准村</a>`) || strings.Contains(body, "基准村修桥") {
		t.Errorf("default board: %d\n%.1500s", code, body)
	}
	if _, body := get("/?c=bench"); !strings.Contains(body, "基准村修桥") || !strings.Contains(body, `href="/topics/1?c=bench"`) {
		t.Errorf("bench board lacks its topic")
	}
	if code, body := get("/topics/1?c=bench"); code != 200 || !strings.Contains(body, "基准村修桥") || !strings.Contains(body, `href="/?c=bench"`) {
		t.Errorf("/topics/1?c=bench: %d", code)
	}
	if code, _ := get("/topics/1"); code != 404 {
		t.Errorf("/topics/1 of 后陈村 (none there): %d", code)
	}
}
