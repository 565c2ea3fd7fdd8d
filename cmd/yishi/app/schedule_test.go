package app_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yishi-community/yishi/adapters/console"
	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/cmd/yishi/app"
)

type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *stepClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func backupNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	slices.Sort(out)
	return out
}

// TestScheduledBackups: each run writes a verified backup named by its
// time, removes what a killed run left and keeps the newest N; a failing
// run tells the secretary at most once a day.
func TestScheduledBackups(t *testing.T) {
	bdir := filepath.Join(t.TempDir(), "backups")
	clock := &stepClock{t: time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)}
	var out syncBuffer
	con := console.New(console.Options{In: strings.NewReader(""), Out: &out})
	plan := &config.Backup{Schedule: "0 3 * * *", Dir: bdir, Keep: 2, Location: time.UTC}
	a, err := app.Open(context.Background(), app.Options{DataDir: filepath.Join(t.TempDir(), "d"), Clock: clock, Backup: plan,
		Communities: []*config.Community{config.Sample()}, Adapters: []bot.Adapter{con}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	if err := a.Handle(ctx, bot.Incoming{Platform: "console", Sender: "陈小龙", Name: "陈小龙", Text: "帮助", Private: true, Chat: console.PrivateChat("陈小龙")}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if i == 2 {
			// What a backup killed half-way leaves.
			os.WriteFile(filepath.Join(bdir, ".yishi-20261201-030000.backup.tmp-123"), []byte("half"), 0o600)
		}
		r, err := a.BackupNow(ctx)
		if err != nil {
			t.Fatalf("backup %d: %v", i, err)
		}
		if r.Entries == 0 || r.Size == 0 {
			t.Errorf("backup %d: %+v", i, r)
		}
		clock.add(24 * time.Hour)
	}
	want := []string{"yishi-20261202-030000.backup", "yishi-20261203-030000.backup"}
	if got := backupNames(t, bdir); !slices.Equal(got, want) {
		t.Errorf("backup dir holds %v, want %v", got, want)
	}

	// Make the directory unusable: a file where it should be.
	os.RemoveAll(bdir)
	os.WriteFile(bdir, []byte("not a directory"), 0o600)
	for i := 0; i < 3; i++ {
		if _, err := a.BackupNow(ctx); err == nil {
			t.Fatal("backup into a file succeeded")
		}
		clock.add(6 * time.Hour)
	}
	if n := strings.Count(out.String(), "定时备份没有成功"); n != 1 {
		t.Errorf("secretary told %d times within a day, want once:\n%s", n, out.String())
	}
	clock.add(24 * time.Hour)
	a.BackupNow(ctx)
	if n := strings.Count(out.String(), "定时备份没有成功"); n != 2 {
		t.Errorf("secretary told %d times after a day more, want twice", n)
	}
	if !strings.Contains(out.String(), "[私聊→张建国]") || strings.Contains(out.String(), "[私聊→陈志强] 议事助手: 【系统提醒】议事助手的定时备份") {
		t.Errorf("the alert goes to the secretary only:\n%s", out.String())
	}
}
