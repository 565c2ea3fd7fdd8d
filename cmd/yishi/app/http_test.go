package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yishi-community/yishi/adapters/console"
	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/cmd/yishi/app"
)

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String()
}

// TestMetricsCountAVote: a vote sent in the group shows in /metrics as a
// message in, a recorded vote_cast and one acknowledgement latency sample.
func TestMetricsCountAVote(t *testing.T) {
	var out syncBuffer
	con := console.New(console.Options{In: strings.NewReader(""), Out: &out})
	a, err := app.Open(context.Background(), app.Options{DataDir: filepath.Join(t.TempDir(), "d"),
		Communities: []*config.Community{config.Sample()}, Adapters: []bot.Adapter{con}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	if _, err := a.Engine.Do(ctx, "", func(tx *engine.Tx) error {
		c := tx.Community("houchen")
		sec, _ := tx.FindMember("houchen", "张建国")
		proposer, _ := tx.FindMember("houchen", "陈小龙")
		var ids []string
		for i := range c.Roster {
			if !c.Roster[i].IsObserver() {
				ids = append(ids, c.Roster[i].ID)
			}
		}
		tp, err := tx.Propose("houchen", proposer, engine.Draft{Title: "修缮礼堂", Content: "礼堂屋顶漏雨。", Affected: "全体村民", Channel: bot.ChannelSelf}, bot.Screening{Verdict: "admissible"})
		if err != nil {
			return err
		}
		if _, err := tx.Approve("houchen", tp.ID, sec, engine.Approval{Category: 1, Participants: ids, Chair: sec.ID, Recorder: "huliping", Supervisor: "hudeming"}); err != nil {
			return err
		}
		if _, err := tx.SetPlan("houchen", tp.ID, sec, bot.Plan{Time: tx.Now().Add(time.Hour), Place: "议事厅", Form: bot.FormOnSite, Ballot: bot.BallotOpen}); err != nil {
			return err
		}
		if _, err := tx.OpenMeeting("houchen", tp.ID, sec); err != nil {
			return err
		}
		if _, _, err := tx.CheckIn("houchen", tp.ID, sec); err != nil {
			return err
		}
		_, err = tx.OpenVote("houchen", tp.ID, sec, "同意修缮礼堂")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := a.Handle(ctx, bot.Incoming{Platform: "console", Chat: "后陈村议事群", ChatTitle: "后陈村议事群", Sender: "张建国", Name: "张建国", Text: "赞成"}); err != nil {
		t.Fatal(err)
	}
	code, body := get(t, a.Handler(), "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`yishi_messages_in_total{platform="console"} 1`,
		`yishi_actions_total{kind="vote_cast",result="recorded"} 1`,
		`yishi_vote_ack_seconds_count 1`,
		`yishi_outbox_depth `,
		`yishi_backup_age_seconds -1`,
		`yishi_store_size_bytes `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
	for _, line := range strings.Split(body, "\n") {
		if name, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(line, "# HELP "), "# TYPE "), " "); line != "" && !strings.HasPrefix(name, "yishi_") {
			t.Errorf("a series not named yishi_…: %q", line)
		}
	}
}

// TestHealthz: 200 while the store is open, 503 with the reason once it is
// closed.
func TestHealthz(t *testing.T) {
	con := console.New(console.Options{In: strings.NewReader(""), Out: &syncBuffer{}})
	a, err := app.Open(context.Background(), app.Options{DataDir: filepath.Join(t.TempDir(), "d"),
		Communities: []*config.Community{config.Sample()}, Adapters: []bot.Adapter{con}})
	if err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, a.Handler(), "/healthz"); code != http.StatusOK || strings.TrimSpace(body) != "ok" {
		t.Fatalf("/healthz with the store open: %d %q", code, body)
	}
	a.Close()
	code, body := get(t, a.Handler(), "/healthz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "存储不可用") {
		t.Fatalf("/healthz with the store closed: %d %q", code, body)
	}
}
