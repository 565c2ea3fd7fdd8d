package config

import (
	"testing"
	"time"

	"github.com/yishi-community/yishi/bot"
)

func TestCommunityLookups(t *testing.T) {
	src := head + "  - {name: 电报群, platform: telegram, chat: \"-100123\"}\n" + members +
		"  - id: zhangsan\n    name: 张三\n    roles: [representative]\n    identities: {telegram: 100001, wechat: zs}\n" +
		"  - id: zhangsan2\n    name: 张三\n    roles: [resident]\n    identities: {console: 张三(东头)}\n"
	c, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if m := c.Member("zhangsan"); m == nil || m.Name != "张三" {
		t.Errorf("Member(zhangsan) = %v", m)
	}
	if m := c.Member("nobody"); m != nil {
		t.Errorf("Member(nobody) = %v", m)
	}
	m := c.Member("zhangsan")
	m.Name = "张三丰" // pointers alias the roster
	if c.Roster[2].Name != "张三丰" {
		t.Error("Member must point into the roster")
	}
	m.Name = "张三"
	tests := []struct {
		platform, identity, want string
	}{
		{"telegram", "100001", "zhangsan"},
		{"wechat", "zs", "zhangsan"},
		{"console", "张三", "zhangsan"},
		{"console", "张三(东头)", "zhangsan2"},
		{"console", "书记甲", "shuji"},
		{"telegram", "999", ""},
		{"console", "", ""},
		{"wechat", "书记甲", ""},
	}
	for _, tt := range tests {
		got := c.MemberByIdentity(tt.platform, tt.identity)
		if (got == nil) != (tt.want == "") || (got != nil && got.ID != tt.want) {
			t.Errorf("MemberByIdentity(%s, %s) = %v, want %q", tt.platform, tt.identity, got, tt.want)
		}
	}
	if got := c.MemberByName("张三"); len(got) != 2 || got[0].ID != "zhangsan" || got[1].ID != "zhangsan2" {
		t.Errorf("MemberByName(张三) = %v", got)
	}
	if got := c.MemberByName("李四"); len(got) != 0 {
		t.Errorf("MemberByName(李四) = %v", got)
	}
	if g := c.GroupByChat("telegram", "-100123"); g == nil || g.Name != "电报群" {
		t.Errorf("GroupByChat(telegram) = %v", g)
	}
	if g := c.GroupByChat("console", "测试群"); g == nil || g.Platform != "console" {
		t.Errorf("GroupByChat(console) = %v", g)
	}
	if g := c.GroupByChat("wechat", "测试群"); g != nil {
		t.Errorf("GroupByChat must match the platform too: %v", g)
	}
	if got := c.WithRole(bot.RoleSupervisor); len(got) != 1 || got[0].ID != "jianwei" {
		t.Errorf("WithRole(supervisor) = %v", got)
	}
	if got := c.WithRole(bot.RoleDirector); len(got) != 0 {
		t.Errorf("WithRole(director) = %v", got)
	}
	if c.Preset().Key != bot.DefaultPreset {
		t.Errorf("Preset() = %s", c.Preset().Key)
	}
}

func TestQuiet(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	at := func(h, m int) time.Time { return time.Date(2025, 3, 1, h, m, 0, 0, sh) }
	night := Reminders{Location: sh, QuietStart: 21 * time.Hour, QuietEnd: 8 * time.Hour}
	noon := Reminders{Location: sh, QuietStart: 12 * time.Hour, QuietEnd: 14 * time.Hour}
	tests := []struct {
		r    Reminders
		t    time.Time
		want bool
	}{
		{night, at(20, 59), false},
		{night, at(21, 0), true},
		{night, at(23, 30), true},
		{night, at(0, 0), true},
		{night, at(7, 59), true},
		{night, at(8, 0), false},
		{night, at(9, 0).UTC(), false}, // 01:00 UTC is 09:00 in Shanghai
		{night, at(22, 0).UTC(), true},
		{noon, at(12, 30), true},
		{noon, at(14, 0), false},
		{noon, at(11, 59), false},
		{Reminders{Location: sh}, at(23, 0), false},
	}
	for i, tt := range tests {
		if got := tt.r.Quiet(tt.t); got != tt.want {
			t.Errorf("%d: Quiet(%s) = %v, want %v", i, tt.t, got, tt.want)
		}
	}
}

func TestParseQuietHours(t *testing.T) {
	tests := []struct {
		in         string
		start, end time.Duration
		ok         bool
	}{
		{"21:00-08:00", 21 * time.Hour, 8 * time.Hour, true},
		{"9:30-11:45", 9*time.Hour + 30*time.Minute, 11*time.Hour + 45*time.Minute, true},
		{"21：00 至 08：00", 21 * time.Hour, 8 * time.Hour, true},
		{"22:00~06:00", 22 * time.Hour, 6 * time.Hour, true},
		{"", 0, 0, true},
		{"NONE", 0, 0, true},
		{"无", 0, 0, true},
		{"21:00", 0, 0, false},
		{"21-08", 0, 0, false},
		{"21:60-08:00", 0, 0, false},
		{"21:00-24:00", 0, 0, false},
		{"21:00-21:00", 0, 0, false},
		{"-1:00-08:00", 0, 0, false},
		{"021:00-08:00", 0, 0, false},
	}
	for _, tt := range tests {
		s, e, err := ParseQuietHours(tt.in)
		if (err == nil) != tt.ok || s != tt.start || e != tt.end {
			t.Errorf("ParseQuietHours(%q) = %v, %v, %v; want %v, %v, ok=%v", tt.in, s, e, err, tt.start, tt.end, tt.ok)
		}
	}
}
