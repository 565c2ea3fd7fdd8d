package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/yishi-community/yishi/bot"
)

// fakeServer is a Bot API server honouring getUpdates offsets the way
// Telegram does: asking for offset n forgets every update below n.
type fakeServer struct {
	t        *testing.T
	mu       sync.Mutex
	updates  []models.Update
	offsets  []int64
	getMe    func() (int, string) // status and body; nil: ok
	failPoll int                  // answer getUpdates with 502 this many times
	hangPoll bool
	polls    int
	sent     []string
}

func (s *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	method := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	ok := func(result string) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok":true,"result":%s}`, result)
	}
	switch method {
	case "getMe":
		if s.getMe != nil {
			code, body := s.getMe()
			w.WriteHeader(code)
			io.WriteString(w, body)
			return
		}
		ok(`{"id":42,"is_bot":true,"first_name":"议事","username":"yishi_bot","can_read_all_group_messages":true}`)
	case "deleteWebhook", "answerCallbackQuery":
		ok("true")
	case "sendMessage":
		_ = r.ParseMultipartForm(1 << 20)
		s.mu.Lock()
		s.sent = append(s.sent, r.FormValue("chat_id")+": "+r.FormValue("text"))
		n := len(s.sent)
		s.mu.Unlock()
		ok(fmt.Sprintf(`{"message_id":%d,"date":1,"chat":{"id":%s,"type":"group"}}`, n, r.FormValue("chat_id")))
	case "getUpdates":
		var p struct{ Offset int64 }
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			s.t.Errorf("getUpdates body: %v", err)
		}
		s.mu.Lock()
		s.polls++
		s.offsets = append(s.offsets, p.Offset)
		if s.failPoll > 0 {
			s.failPoll--
			s.mu.Unlock()
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, `{"ok":false,"error_code":502,"description":"Bad Gateway"}`)
			return
		}
		hang := s.hangPoll
		var keep, out []models.Update
		for _, u := range s.updates {
			if u.ID >= p.Offset {
				keep = append(keep, u)
			}
		}
		s.updates = keep
		out = append(out, keep...)
		s.mu.Unlock()
		if hang {
			<-r.Context().Done()
			return
		}
		if len(out) == 0 {
			select { // a short long poll
			case <-time.After(20 * time.Millisecond):
			case <-r.Context().Done():
			}
		}
		b, _ := json.Marshal(out)
		ok(string(b))
	default:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"ok":false,"error_code":404,"description":"Not Found"}`)
	}
}

func (s *fakeServer) add(us ...models.Update) {
	s.mu.Lock()
	s.updates = append(s.updates, us...)
	s.mu.Unlock()
}

func textUpdate(id int64, chat int64, from int64, text string) models.Update {
	return models.Update{ID: id, Message: &models.Message{
		ID: int(id), Date: 1767225600, Text: text,
		From: &models.User{ID: from, FirstName: fmt.Sprint("u", from)},
		Chat: models.Chat{ID: chat, Type: models.ChatTypeGroup},
	}}
}

// stepClock is an instant fake clock that records every wait.
type stepClock struct {
	mu     sync.Mutex
	now    time.Time
	waits  []time.Duration
	onWait func(n int)
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) Until(ctx context.Context, t time.Time) error {
	c.mu.Lock()
	d := t.Sub(c.now)
	if d > 0 {
		c.now = t
	}
	c.waits = append(c.waits, d)
	n := len(c.waits)
	hook := c.onWait
	c.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	return ctx.Err()
}

func (c *stepClock) recorded() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}

const secretToken = "42:SECRET-part-of-the-token"

func serverAdapter(t *testing.T, url string, store bot.Store, clock Clock, logs io.Writer) *Adapter {
	t.Helper()
	if logs == nil {
		logs = io.Discard
	}
	if store == nil {
		store = newStore()
	}
	a, err := New(Options{
		Config:  Config{Token: secretToken, APIURL: url, PollTimeout: 100 * time.Millisecond},
		Store:   store,
		Logger:  slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Clock:   clock,
		PollGap: time.Millisecond,
		Limits:  Limits{PerChat: 1e6, PerGroup: 1e6, Global: 1e6},
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestPollingConfirmsOnlyHandledUpdates(t *testing.T) {
	srv := &fakeServer{t: t}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	// Three chats, interleaved; update 6 (chat B) will hang until the bot
	// stops, like a crash in the middle of a batch.
	chats := []int64{-1, -2, -3}
	for i := int64(1); i <= 12; i++ {
		srv.add(textUpdate(i, chats[(i-1)%3], 7, fmt.Sprint("m", i)))
	}
	store := newStore()
	rec := &recorder{}
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	rec.fn = func(in bot.Incoming) error {
		if in.Text == "m6" {
			select {
			case <-ctx.Done():
			default:
				once.Do(func() {
					go func() { time.Sleep(50 * time.Millisecond); cancel() }()
				})
				<-ctx.Done()
			}
			if ctx.Err() != nil {
				return errors.New("storage closed") // internal: not committed
			}
		}
		return nil
	}
	a := serverAdapter(t, hs.URL, store, nil, nil)
	if err := a.Run(ctx, rec); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	for _, off := range srv.offsets {
		if off > 6 {
			t.Errorf("offset %d confirmed to Telegram while update 6 was not handled", off)
		}
	}
	srv.mu.Unlock()
	if v, _ := store.Get([]byte("telegram/offset/42")); string(v) != "5" {
		t.Errorf("persisted offset = %q, want 5", v)
	}

	// Restart: update 6 and everything after it in its chat are handled
	// now; the others (already handled) come again and are no-ops.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	rec.fn = func(in bot.Incoming) error {
		if in.Text == "m12" {
			cancel2()
		}
		return nil
	}
	a2 := serverAdapter(t, hs.URL, store, nil, nil)
	if err := a2.Run(ctx2, rec); err != nil {
		t.Fatal(err)
	}
	got := rec.all()
	perChat := map[string][]string{}
	for _, in := range got {
		perChat[in.Chat] = append(perChat[in.Chat], in.Text)
	}
	want := map[string]string{"-1": "m1 m4 m7 m10", "-2": "m2 m5 m8 m11", "-3": "m3 m6 m9 m12"}
	_ = want
	wantOrder := map[string][]string{
		"-1": {"m1", "m4", "m7", "m10"},
		"-2": {"m2", "m5", "m8", "m11"},
		"-3": {"m3", "m6", "m9", "m12"},
	}
	// Update 6 is in chat -3 ((6-1)%3 = 2).
	for chat, w := range wantOrder {
		if strings.Join(perChat[chat], " ") != strings.Join(w, " ") {
			t.Errorf("chat %s handled %v, want %v once each in order", chat, perChat[chat], w)
		}
	}
	if len(got) != 12 {
		t.Errorf("%d updates handled, want 12", len(got))
	}
}

func TestPollingBacksOffOnServerErrors(t *testing.T) {
	srv := &fakeServer{t: t, failPoll: 5}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := &stepClock{now: time.Unix(0, 0)}
	clock.onWait = func(n int) {
		if n >= 5 {
			cancel()
		}
	}
	var logs bytes.Buffer
	a := serverAdapter(t, hs.URL, nil, clock, &logs)
	if err := a.Run(ctx, &recorder{}); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, 1600 * time.Millisecond, 3200 * time.Millisecond}
	got := clock.recorded()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("waits after 502s = %v, want %v", got, want)
	}
	if strings.Contains(logs.String(), "SECRET") {
		t.Error("token in the logs")
	}
}

func TestPollingGivesUpOnAHangingServer(t *testing.T) {
	srv := &fakeServer{t: t, hangPoll: true}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := &stepClock{now: time.Unix(0, 0)}
	clock.onWait = func(n int) {
		if n >= 2 {
			cancel()
		}
	}
	a := serverAdapter(t, hs.URL, nil, clock, nil)
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, &recorder{}) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run stuck on a hanging getUpdates")
	}
	if w := clock.recorded(); len(w) < 2 || w[0] <= 0 || w[1] <= w[0] {
		t.Errorf("waits after timeouts = %v, want growing backoff", w)
	}
}

func TestRunRejectedToken(t *testing.T) {
	for _, code := range []int{401, 404} {
		srv := &fakeServer{t: t, getMe: func() (int, string) {
			return code, fmt.Sprintf(`{"ok":false,"error_code":%d,"description":"Unauthorized"}`, code)
		}}
		hs := httptest.NewServer(srv)
		var logs bytes.Buffer
		a := serverAdapter(t, hs.URL, nil, nil, &logs)
		err := a.Run(context.Background(), &recorder{})
		hs.Close()
		if err == nil || !strings.Contains(err.Error(), "rejected") {
			t.Errorf("HTTP %d: Run = %v, want a rejected-token error", code, err)
			continue
		}
		if strings.Contains(err.Error(), "SECRET") || strings.Contains(logs.String(), "SECRET") {
			t.Errorf("HTTP %d: token leaked: %v / %s", code, err, logs.String())
		}
	}
}

func TestGetMeRetriesAndNeverLogsTheToken(t *testing.T) {
	// Nothing listens here: every call fails at connect, with the URL
	// (which holds the token) in the transport error.
	hs := httptest.NewServer(http.NotFoundHandler())
	url := hs.URL
	hs.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := &stepClock{now: time.Unix(0, 0)}
	clock.onWait = func(n int) {
		if n >= 3 {
			cancel()
		}
	}
	var logs bytes.Buffer
	a := serverAdapter(t, url, nil, clock, &logs)
	if err := a.Run(ctx, &recorder{}); err != nil {
		t.Fatal(err)
	}
	if w := clock.recorded(); fmt.Sprint(w) != "[1s 2s 4s]" {
		t.Errorf("getMe retries waited %v, want [1s 2s 4s]", w)
	}
	if !strings.Contains(logs.String(), "getMe failed") {
		t.Errorf("no retry logged: %s", logs.String())
	}
	if strings.Contains(logs.String(), "SECRET") {
		t.Errorf("token in the logs:\n%s", logs.String())
	}
}

func TestProcessBatchOrderPerChat(t *testing.T) {
	f := newFakeAPI()
	a := testAdapter(t, f, nil, func(o *Options) { o.Workers = 8 })
	var ups []*models.Update
	for i := range 1000 {
		u := textUpdate(int64(i+1), -int64(i%100+1), 7, fmt.Sprint(i/100))
		ups = append(ups, &u)
	}
	var mu sync.Mutex
	last := map[string]int{}
	bad := 0
	rec := &recorder{fn: func(in bot.Incoming) error {
		var n int
		fmt.Sscan(in.Text, &n)
		mu.Lock()
		if prev, ok := last[in.Chat]; ok && prev != n-1 {
			bad++
		}
		last[in.Chat] = n
		mu.Unlock()
		return nil
	}}
	if done := a.processBatch(context.Background(), rec, ups); done != 1000 {
		t.Errorf("processBatch = %d, want 1000", done)
	}
	if bad != 0 || len(last) != 100 {
		t.Errorf("%d out-of-order updates over %d chats", bad, len(last))
	}
}

func TestProcessBatchRetriesAndAnswersCallbacks(t *testing.T) {
	f := newFakeAPI()
	clock := newPatientClock()
	a := testAdapter(t, f, nil, func(o *Options) { o.Clock = clock; o.ReceiptWait = time.Hour })
	press := func(id int64, data string) *models.Update {
		return &models.Update{ID: id, CallbackQuery: &models.CallbackQuery{
			ID: fmt.Sprint("cb", id), From: models.User{ID: 7, FirstName: "张三"}, Data: data,
			Message: models.MaybeInaccessibleMessage{Message: &models.Message{
				ID: 3, Date: 1, From: &models.User{ID: 42, IsBot: true}, Chat: models.Chat{ID: -100, Type: models.ChatTypeGroup},
			}},
		}}
	}
	fails := 0
	rec := &recorder{fn: func(in bot.Incoming) error {
		switch in.Text {
		case "flaky":
			if fails < 2 {
				fails++
				return errors.New("disk busy")
			}
		case "refused":
			return bot.Errorf(bot.EFORBIDDEN, "只有本议题的协商主体可以表决")
		case "broken":
			return errors.New("disk gone")
		}
		return nil
	}}
	done := a.processBatch(context.Background(), rec, []*models.Update{press(1, "flaky"), press(2, "refused"), press(3, "broken"), press(4, "ok")})
	if done != 4 {
		t.Errorf("processBatch = %d, want 4 (a hopeless update is given up, not blocking the chat)", done)
	}
	// Refusals are answered at once; handled presses once their receipt is
	// overdue (the core sent none here).
	waitAnswers(t, f, 2)
	clock.advance(2 * time.Hour)
	answers := waitAnswers(t, f, 4)
	for _, id := range []string{"cb1", "cb4"} {
		if a := answers[id]; a.Text != "已收到，正在处理。" || a.ShowAlert {
			t.Errorf("answer to handled press %s = %+v, want a visible 已收到", id, a)
		}
	}
	if a1 := answers["cb2"]; a1.Text != "只有本议题的协商主体可以表决" || !a1.ShowAlert {
		t.Errorf("answer to a refused press = %+v, want the rule as an alert", a1)
	}
	if a2 := answers["cb3"]; !strings.Contains(a2.Text, "系统内部出错") {
		t.Errorf("answer to a failed press = %+v", a2)
	}
	if got := f.sentTo(-100); len(got) != 1 || !strings.Contains(got[0].Text, "系统内部出错") {
		t.Errorf("group told %+v, want the internal-error notice once", got)
	}
	if n := len(rec.all()); n != 3 { // flaky (after retries), refused, ok
		t.Errorf("%d updates reached the core, want 3", n)
	}
}

func TestWebhookHandler(t *testing.T) {
	f := newFakeAPI()
	a := testAdapter(t, f, nil, nil)
	rec := &recorder{}
	hs := httptest.NewServer(a.webhookHandler(rec, "s3cret"))
	defer hs.Close()
	body, _ := json.Marshal(textUpdate(9, -100, 7, "签到"))
	post := func(secret string, b []byte) int {
		req, _ := http.NewRequest(http.MethodPost, hs.URL, bytes.NewReader(b))
		if secret != "" {
			req.Header.Set(secretHeader, secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("", body); code != http.StatusForbidden {
		t.Errorf("no secret: %d", code)
	}
	if code := post("wrong", body); code != http.StatusForbidden {
		t.Errorf("wrong secret: %d", code)
	}
	if len(rec.all()) != 0 {
		t.Fatal("an update without the secret reached the core")
	}
	if code := post("s3cret", []byte("{not json")); code != http.StatusBadRequest {
		t.Errorf("bad body: %d", code)
	}
	if code := post("s3cret", body); code != http.StatusOK {
		t.Errorf("good update: %d", code)
	}
	if got := rec.all(); len(got) != 1 || got[0].Text != "签到" || got[0].ID != "tg:42:9" {
		t.Errorf("handled %+v", got)
	}
	resp, err := http.Get(hs.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", resp.StatusCode)
	}
}

func TestPrivacyModeNotice(t *testing.T) {
	f := newFakeAPI()
	f.me.CanReadAllGroupMessages = false
	store := newStore()
	a := testAdapter(t, f, store, func(o *Options) { o.NoticeChats = []int64{-100, -200} })
	ctx := context.Background()
	a.noticeAll(ctx)
	u1, u2 := textUpdate(1, -100, 7, "/签到"), textUpdate(2, -300, 7, "/签到")
	a.processBatch(ctx, &recorder{}, []*models.Update{&u1, &u2})
	// A restart does not repeat it.
	a2 := testAdapter(t, f, store, func(o *Options) { o.NoticeChats = []int64{-100, -200} })
	a2.noticeAll(ctx)
	for _, chat := range []int64{-100, -200, -300} {
		got := f.sentTo(chat)
		if len(got) != 1 || !strings.Contains(got[0].Text, "隐私模式") {
			t.Errorf("group %d got %d messages, want the privacy notice once", chat, len(got))
		}
	}
	// Added to a group again: told again.
	added := &models.Update{ID: 3, MyChatMember: &models.ChatMemberUpdated{
		Chat:          models.Chat{ID: -100, Type: models.ChatTypeGroup},
		OldChatMember: models.ChatMember{Type: models.ChatMemberTypeLeft},
		NewChatMember: models.ChatMember{Type: models.ChatMemberTypeMember},
	}}
	a2.processBatch(ctx, &recorder{}, []*models.Update{added})
	if n := len(f.sentTo(-100)); n != 2 {
		t.Errorf("group -100 got %d notices after the bot was added back, want 2", n)
	}
	// Not in privacy mode: only how to open the private chat, once.
	g := newFakeAPI()
	b := testAdapter(t, g, nil, func(o *Options) { o.NoticeChats = []int64{-100} })
	b.noticeAll(ctx)
	b.noticeAll(ctx)
	if got := g.sentTo(-100); len(got) != 1 || strings.Contains(got[0].Text, "隐私模式") || !strings.Contains(got[0].Text, "https://t.me/yishi_bot") {
		t.Errorf("a bot reading all messages sent %+v, want the start link once", got)
	}
}
