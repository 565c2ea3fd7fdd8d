package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yishi-community/yishi/adapters/console"
	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/screening/opinion"
	"github.com/yishi-community/yishi/cmd/yishi/app"
)

// TestSecondOpinionShownToReviewer: with a second opinion configured, the
// model is asked once per proposal in the background; the reviewer's
// screening shows its answer (marked as deciding nothing) once it came,
// the proposer's text never does, and a failing model leaves the rule
// engine's screening alone.
func TestSecondOpinionShownToReviewer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		want   string
	}{
		{"answers", 200, "第二意见（语言模型 qwen-test，仅供参考，不作决定）：可以议事，六必议第2类。理由：路面破损危及出行"},
		{"fails", 500, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var asked atomic.Int32
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				asked.Add(1)
				<-release // the first screening does not wait for the model
				if tc.status != 200 {
					http.Error(w, "model down", tc.status)
					return
				}
				content := `{"admissible":true,"rules":[],"category":2,"reason":"路面破损危及出行"}`
				json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{"message": map[string]string{"role": "assistant", "content": content}}}})
			}))
			defer srv.Close()
			client, err := opinion.New(opinion.Config{Enabled: true, Endpoint: srv.URL, Model: "qwen-test", SendProposalText: true, Timeout: 5 * time.Second}, nil)
			if err != nil {
				t.Fatal(err)
			}
			con := console.New(console.Options{In: strings.NewReader(""), Out: &syncBuffer{}})
			a, err := app.Open(context.Background(), app.Options{DataDir: filepath.Join(t.TempDir(), "d"),
				Communities: []*config.Community{config.Sample()}, Adapters: []bot.Adapter{con}, SecondOpinion: client})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			text := "村东头的路坏了\n村东头水泥路塌了一个大坑，晚上有人摔倒。\n东头三组"
			first := a.Screen.Screen("houchen", text)
			if !strings.Contains(first.ReviewerText, "还在生成") || strings.Contains(first.ProposerText, "第二意见") {
				t.Fatalf("first screening: reviewer %q / proposer %q", first.ReviewerText, first.ProposerText)
			}
			close(release)
			var got string
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				got = a.Screen.Screen("houchen", text).ReviewerText
				if !strings.Contains(got, "还在生成") {
					break
				}
			}
			if tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("reviewer's screening after the answer:\n%s\nwant %q", got, tc.want)
			}
			if tc.want == "" && (strings.Contains(got, "第二意见") || strings.Contains(got, "还在生成")) {
				t.Errorf("a failed model still shows:\n%s", got)
			}
			if n := asked.Load(); n != 1 {
				t.Errorf("the model was asked %d times for one proposal, want once", n)
			}
		})
	}
}
