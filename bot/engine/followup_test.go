package engine_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/audit"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/storage"
)

func TestSaysDone(t *testing.T) {
	for text, want := range map[string]bool{
		"已完成":          true,
		"全部完成了，10盏都亮了": true,
		"路灯已经完成安装":     true,
		"已完成一半":        false,
		"还没完成，下周装":     false,
		"已完成80%":       false,
		"灯杆已到货":        false,
		"尚未完成":         false,
	} {
		if got := engine.SaysDone(text); got != want {
			t.Errorf("SaysDone(%q) = %v, want %v", text, got, want)
		}
	}
}

// completeTopic is an agreed topic whose record sheet has every field.
func completeTopic() *bot.Topic {
	at := time.Date(2026, 12, 1, 19, 30, 0, 0, time.UTC)
	return &bot.Topic{ID: "1", Community: "houchen", Title: "安装路灯", Content: "村口安装路灯", Proposer: "chenxiaolong",
		Stage: bot.StageImplementing, Participants: []string{"zhangjianguo", "hudeming", "chenxiaolong", "huliping", "wangweidong"},
		Chair: "zhangjianguo", Recorder: "huliping", Supervisor: "hudeming",
		Plan:       bot.Plan{Time: at, Place: "会议室", Form: bot.FormOnSite, Preset: "yishi"},
		Statements: []bot.Statement{{Member: "chenxiaolong", Step: 3, Text: "同意"}}, Opinion: "同意安装",
		Result: &bot.Result{Voters: 5, For: 5, Present: 5, Expected: 5, QuorumMet: true, Agreed: true, ClosedAt: at},
		FollowUps: []bot.FollowUp{
			{No: 1, What: "装灯", Responsible: "chenxiaolong", Due: at.AddDate(0, 1, 0), Supervision: "现场看", Status: bot.FollowUpNotStarted},
			{No: 2, What: "维护", Responsible: "wangweidong", Due: at.AddDate(0, 1, 0), Supervision: "每季度", Status: bot.FollowUpNotStarted},
		},
		MinutesBy: "huliping", MinutesAt: at,
	}
}

func TestCheckRecord(t *testing.T) {
	if m := engine.CheckRecord(completeTopic()); len(m) != 0 {
		t.Fatalf("complete topic: missing %v", m)
	}
	for _, tc := range []struct {
		field  string
		mutate func(*bot.Topic)
	}{
		{"协商主体", func(t *bot.Topic) { t.Participants = nil }},
		{"协商时间", func(t *bot.Topic) { t.Plan.Time = time.Time{} }},
		{"协商地点", func(t *bot.Topic) { t.Plan.Place = " " }},
		{"协商方式", func(t *bot.Topic) { t.Plan.Form = "" }},
		{"协商主持人", func(t *bot.Topic) { t.Chair = "" }},
		{"协商记录员", func(t *bot.Topic) { t.Recorder = "" }},
		{"协商监督员", func(t *bot.Topic) { t.Supervisor = "" }},
		{"协商过程", func(t *bot.Topic) { t.Statements = nil }},
		{"协商过程", func(t *bot.Topic) { t.Opinion = "" }},
		{"协商表决", func(t *bot.Topic) { t.Result = nil }},
		{"协商表决", func(t *bot.Topic) { t.Result.Voters = 6 }},
		{"协商结果", func(t *bot.Topic) { t.FollowUps = nil }},
		{"协商结果", func(t *bot.Topic) { t.FollowUps[1].Supervision = "" }},
		{"协商结果", func(t *bot.Topic) { t.Result.Agreed = false }},
		{"协商记录员签字", func(t *bot.Topic) { t.MinutesBy = "" }},
	} {
		tp := completeTopic()
		tc.mutate(tp)
		m := engine.CheckRecord(tp)
		if len(m) != 1 || m[0].Field != tc.field {
			t.Errorf("want exactly %s missing, got %v", tc.field, m)
		}
	}
}

func openWith(t *testing.T, clock bot.Clock, topics ...*bot.Topic) (*engine.Engine, *storage.DB) {
	t.Helper()
	db, err := storage.Open(t.TempDir(), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var batch []bot.KV
	for _, tp := range topics {
		b, _ := json.Marshal(tp)
		batch = append(batch, bot.KV{Key: []byte("topic/" + tp.Community + "/" + tp.ID), Value: b})
	}
	if err := db.Commit(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	e, err := engine.Open(context.Background(), engine.Options{Store: db, Communities: []*config.Community{config.Sample()}, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return e, db
}

func TestFollowUpActions(t *testing.T) {
	e, db := openWith(t, fixed{now}, completeTopic())
	ctx := context.Background()
	m := func(id string) *bot.Member { return config.Sample().Member(id) }
	do := func(fn func(tx *engine.Tx) error) error {
		t.Helper()
		var err error
		if _, derr := e.Do(ctx, "", func(tx *engine.Tx) error { err = fn(tx); return nil }); derr != nil {
			t.Fatal(derr)
		}
		return err
	}
	code := func(err error) string { return bot.ErrorCode(err) }
	// A resident responsible for item 1 may report on it; another resident may not.
	if err := do(func(tx *engine.Tx) error {
		_, err := tx.ReportProgress("houchen", 1, m("chenxiaolong"), "灯杆到了")
		return err
	}); err != nil {
		t.Fatalf("responsible resident: %v", err)
	}
	if err := do(func(tx *engine.Tx) error {
		_, err := tx.ReportProgress("houchen", 1, m("lixiulan"), "灯杆到了")
		return err
	}); code(err) != bot.EFORBIDDEN || !strings.Contains(bot.ErrorMessage(err), "责任人是陈小龙") {
		t.Errorf("other resident: %v", err)
	}
	if err := do(func(tx *engine.Tx) error { _, err := tx.ReportProgress("houchen", 1, nil, "灯杆到了"); return err }); code(err) != bot.EFORBIDDEN {
		t.Errorf("not on the roster: %v", err)
	}
	if err := do(func(tx *engine.Tx) error {
		_, err := tx.ReportProgress("houchen", 99, m("chenxiaolong"), "好了")
		return err
	}); code(err) != bot.ENOTFOUND {
		t.Errorf("unknown item: %v", err)
	}
	// Confirmation needs a supervisor and a report of completion.
	if err := do(func(tx *engine.Tx) error { _, err := tx.ConfirmFollowUp("houchen", 1, m("hudeming"), ""); return err }); code(err) != bot.ECONFLICT {
		t.Errorf("confirm before done: %v", err)
	}
	for _, no := range []int{1, 2} {
		who := map[int]string{1: "chenxiaolong", 2: "huliping"}[no] // huliping is a cadre (committee)
		if err := do(func(tx *engine.Tx) error { _, err := tx.ReportProgress("houchen", no, m(who), "已完成"); return err }); err != nil {
			t.Fatalf("report done #%d: %v", no, err)
		}
	}
	if err := do(func(tx *engine.Tx) error { _, err := tx.ConfirmFollowUp("houchen", 1, m("huliping"), ""); return err }); code(err) != bot.EFORBIDDEN {
		t.Errorf("confirm by a cadre: %v", err)
	}
	if err := do(func(tx *engine.Tx) error {
		_, err := tx.ReturnFollowUp("houchen", 2, m("chenmeihua"), "没做完")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := do(func(tx *engine.Tx) error {
		_, err := tx.ReportProgress("houchen", 2, m("huliping"), "全部完成了")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var completed bool
	for _, no := range []int{1, 2} {
		if err := do(func(tx *engine.Tx) error {
			ch, err := tx.ConfirmFollowUp("houchen", no, m("hudeming"), "看过了")
			completed = ch.Completed
			return err
		}); err != nil {
			t.Fatalf("confirm #%d: %v", no, err)
		}
	}
	var stage bot.Stage
	e.Read(func(tx *engine.Tx) { tp, _ := tx.Topic("houchen", "1"); stage = tp.Stage })
	if !completed || stage != bot.StageCompleted {
		t.Errorf("after the last confirmation: completed=%v stage=%s, want 已办结", completed, stage)
	}
	if err := do(func(tx *engine.Tx) error {
		_, err := tx.BlockFollowUp("houchen", 1, m("chenxiaolong"), "坏了")
		return err
	}); code(err) != bot.ECONFLICT {
		t.Errorf("block a confirmed item: %v", err)
	}
	// Audit: passes once, by a supervisor only.
	if err := do(func(tx *engine.Tx) error { _, _, err := tx.AuditRecord("houchen", "1", m("zhangjianguo")); return err }); code(err) != bot.EFORBIDDEN {
		t.Errorf("audit by the secretary: %v", err)
	}
	if err := do(func(tx *engine.Tx) error { _, _, err := tx.AuditRecord("houchen", "1", m("chenmeihua")); return err }); err != nil {
		t.Fatalf("audit: %v", err)
	}
	if err := do(func(tx *engine.Tx) error { _, _, err := tx.AuditRecord("houchen", "1", m("hudeming")); return err }); code(err) != bot.ECONFLICT {
		t.Errorf("second audit: %v", err)
	}
	r, err := audit.Verify(db, "houchen")
	if err != nil || !r.OK || r.Entries < 9 {
		t.Errorf("audit chain: %+v %v (every action must be recorded)", r, err)
	}
}
