package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yishi-community/yishi/bot"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// head and members make a minimal valid file: head is lines 1-5, members
// lines 6-12, so a case that appends starts at line 13.
const (
	head = "id: test\n" +
		"name: 测试村\n" +
		"groups:\n" +
		"  - platform: console\n" +
		"    chat: 测试群\n"
	members = "roster:\n" +
		"  - id: shuji\n" +
		"    name: 书记甲\n" +
		"    roles: [secretary]\n" +
		"  - id: jianwei\n" +
		"    name: 监委乙\n" +
		"    roles: [supervisor]\n"
	valid = head + members
)

// member is one more roster entry (3 lines) appended after members: it
// starts at line 13 when nothing else is appended before it.
func member(id, name, roles string) string {
	return "  - id: " + id + "\n    name: " + name + "\n    roles: " + roles + "\n"
}

func TestParseValidMinimal(t *testing.T) {
	c, err := Parse("test.yaml", []byte(valid))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if c.ID != "test" || c.Name != "测试村" || c.File != "test.yaml" {
		t.Errorf("id/name/file = %q %q %q", c.ID, c.Name, c.File)
	}
	if c.Kind != KindVillage || c.Location.String() != DefaultTimezone || c.DefaultPreset != bot.DefaultPreset ||
		c.ProposalTimeout != DefaultProposalTimeout || c.Eligible != 0 {
		t.Errorf("defaults not applied: %+v", c)
	}
	if g := c.Groups[0]; g.Name != "测试群" || g.Platform != "console" || g.Chat != "测试群" {
		t.Errorf("group name should default to the chat: %+v", g)
	}
	r := c.Reminders
	if r.Cron != DefaultReminderCron || r.Location != c.Location || r.DueWithinDays != DefaultDueWithinDays ||
		r.StaleDays != DefaultStaleDays || r.EscalateAfterDays != DefaultEscalateDays ||
		r.QuietStart != 21*time.Hour || r.QuietEnd != 8*time.Hour {
		t.Errorf("reminder defaults not applied: %+v", r)
	}
	if got := c.Roster[0].Identities["console"]; got != "书记甲" {
		t.Errorf("console identity should default to the name, got %q", got)
	}
}

func TestParseAcceptsVariants(t *testing.T) {
	src := "id: shequ-1\nname: 幸福社区\nkind: community\ntimezone: Asia/Urumqi\n" +
		"default_preset: 居民会议\nproposal_timeout: 1h30m\neligible: 2400\n" +
		"groups:\n  - {name: 幸福社区议事群, platform: telegram, chat: -1001234567890}\n" +
		"  - {platform: wechat, chat: 幸福社区居民群}\n" +
		"roster:\n" +
		"  - id: li_shuji\n    name: 李书记\n    roles: [书记, 主任, secretary]\n" +
		"    identities: {telegram: 100001, wechat: li-shuji, console: 老李}\n" +
		"  - id: wang\n    name: 王监督\n    roles: [监委]\n" +
		"  - id: wang2\n    name: 王监督\n    roles: [居民]\n    identities: {console: 王监督2}\n" +
		"reminders:\n  cron: \"30 8 * * 1-5\"\n  timezone: UTC\n  due_within_days: 0\n  quiet_hours: \"22：00～07：30\"\n"
	c, err := Parse("shequ.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if c.Kind != KindCommunity || c.Location.String() != "Asia/Urumqi" || c.DefaultPreset != "residents" ||
		c.ProposalTimeout != 90*time.Minute || c.Eligible != 2400 {
		t.Errorf("top level: %+v", c)
	}
	li := c.Member("li_shuji")
	if li == nil || len(li.Roles) != 2 || !li.Has(bot.RoleSecretary) || !li.Has(bot.RoleDirector) {
		t.Fatalf("roles by Chinese name, deduplicated: %+v", li)
	}
	if li.Identities["telegram"] != "100001" || li.Identities["console"] != "老李" {
		t.Errorf("identities: %v", li.Identities)
	}
	if c.Groups[1].Name != "幸福社区居民群" || c.Groups[0].Chat != "-1001234567890" {
		t.Errorf("groups: %+v", c.Groups)
	}
	r := c.Reminders
	if r.Location != time.UTC || r.DueWithinDays != 0 || r.StaleDays != DefaultStaleDays ||
		r.QuietStart != 22*time.Hour || r.QuietEnd != 7*time.Hour+30*time.Minute {
		t.Errorf("reminders: %+v", r)
	}
}

func TestParseStripsByteOrderMark(t *testing.T) {
	c, err := Parse("bom.yaml", []byte("\ufeff"+valid))
	if err != nil || c.ID != "test" {
		t.Fatalf("Parse with BOM: %v", err)
	}
}

func TestQuietHoursNone(t *testing.T) {
	for _, q := range []string{`""`, "none", "无"} {
		c, err := Parse("q.yaml", []byte(valid+"reminders:\n  quiet_hours: "+q+"\n"))
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if c.Reminders.QuietStart != 0 || c.Reminders.QuietEnd != 0 {
			t.Errorf("%s: want no quiet hours, got %+v", q, c.Reminders)
		}
	}
}

// errorCases covers every validation error. line and field are checked
// here; the whole message is checked against testdata/errors/<name>.golden.
var errorCases = []struct {
	name  string
	line  int
	field string
	src   string
}{
	{"empty_file", 0, "", ""},
	{"only_comments", 0, "", "# 后陈村\n"},
	{"two_documents", 14, "", valid + "---\nid: other\n"},
	{"syntax_error", 2, "", "id: [test\nname: x\n"},
	{"not_a_mapping", 1, "", "- id: test\n"},
	{"unknown_field", 3, "mayor", "id: test\nname: 测试村\nmayor: 张三\n"},
	{"unknown_member_field", 9, "roster[0].role", head + "roster:\n  - id: shuji\n    name: 书记甲\n    role: [secretary]\n"},
	{"unknown_fields_first_wins", 13, "roster[1].zzz", valid + "    zzz: 1\n    aaa: 2\n    mmm: 3\n"},
	{"unknown_reminders_field", 14, "reminders.every", valid + "reminders:\n  every: day\n"},
	{"type_mismatch", 13, "eligible", valid + "eligible: 很多\n"},
	{"roles_not_a_list", 9, "roster[0].roles", head + "roster:\n  - id: shuji\n    name: 书记甲\n    roles: secretary\n"},
	{"float_for_integer", 13, "eligible", valid + "eligible: 3.5\n"},
	{"integer_overflow", 13, "eligible", valid + "eligible: 99999999999999999999\n"},
	{"duplicate_key", 2, "", "id: test\nid: again\n"},
	{"missing_id", 1, "id", "name: 测试村\n"},
	{"bad_id", 1, "id", "id: Hou_Chen\nname: 后陈村\n"},
	{"missing_name", 1, "name", "id: test\n"},
	{"unknown_kind", 3, "kind", "id: test\nname: 测试村\nkind: town\n"},
	{"bad_timezone", 3, "timezone", "id: test\nname: 测试村\ntimezone: Asia/Beijing\n"},
	{"local_timezone", 3, "timezone", "id: test\nname: 测试村\ntimezone: Local\n"},
	{"unknown_preset", 3, "default_preset", "id: test\nname: 测试村\ndefault_preset: majority\n"},
	{"villagers_preset_in_city", 4, "default_preset", "id: test\nname: 测试社区\nkind: community\ndefault_preset: 村民会议\n"},
	{"residents_preset_in_village", 3, "default_preset", "id: test\nname: 测试村\ndefault_preset: residents\n"},
	{"bad_duration", 3, "proposal_timeout", "id: test\nname: 测试村\nproposal_timeout: 30\n"},
	{"negative_duration", 3, "proposal_timeout", "id: test\nname: 测试村\nproposal_timeout: -5m\n"},
	{"too_short_duration", 3, "proposal_timeout", "id: test\nname: 测试村\nproposal_timeout: 10s\n"},
	{"no_groups", 1, "groups", "id: test\nname: 测试村\n" + members},
	{"empty_groups", 3, "groups", "id: test\nname: 测试村\ngroups: []\n" + members},
	{"unknown_platform", 4, "groups[0].platform", "id: test\nname: 测试村\ngroups:\n  - platform: qq\n    chat: 测试群\n"},
	{"missing_platform", 4, "groups[0].platform", "id: test\nname: 测试村\ngroups:\n  - chat: 测试群\n"},
	{"group_without_chat", 4, "groups[0].chat", "id: test\nname: 测试村\ngroups:\n  - platform: console\n    name: 测试群\n"},
	{"telegram_chat_not_numeric", 5, "groups[0].chat", "id: test\nname: 测试村\ngroups:\n  - platform: telegram\n    chat: \"@testgroup\"\n"},
	{"duplicate_group_chat", 7, "groups[1].chat", head + "  - platform: console\n    chat: 测试群\n" + members},
	{"empty_roster", 6, "roster", head + "roster: []\n"},
	{"missing_member_id", 13, "roster[2].id", valid + "  - name: 无名\n    roles: [resident]\n"},
	{"bad_member_id", 13, "roster[2].id", valid + member("张三", "张三", "[resident]")},
	{"duplicate_member_id", 13, "roster[2].id", valid + member("shuji", "书记丙", "[resident]")},
	{"multiline_member_name", 14, "roster[2].name", valid + "  - id: zhangsan\n    name: |\n      张\n      三\n    roles: [resident]\n"},
	{"multiline_group_chat", 5, "groups[0].chat", "id: test\nname: 测试村\ngroups:\n  - platform: wechat\n    chat: \"测试\\n群\"\n"},
	{"missing_member_name", 14, "roster[2].name", valid + "  - id: wuming\n    name: \"  \"\n    roles: [resident]\n"},
	{"member_without_roles", 15, "roster[2].roles", valid + member("zhangsan", "张三", "[]")},
	{"member_roles_missing", 13, "roster[2].roles", valid + "  - id: zhangsan\n    name: 张三\n"},
	{"unknown_role", 17, "roster[2].roles[1]", valid + "  - id: zhangsan\n    name: 张三\n    roles:\n      - 代表\n      - mayor\n"},
	{"unknown_identity_platform", 18, "roster[2].identities.qq", valid + member("zhangsan", "张三", "[resident]") + "    identities:\n      wechat: zs\n      qq: \"12345\"\n"},
	{"empty_identity", 17, "roster[2].identities.wechat", valid + member("zhangsan", "张三", "[resident]") + "    identities:\n      wechat:\n"},
	{"telegram_identity_not_numeric", 17, "roster[2].identities.telegram", valid + member("zhangsan", "张三", "[resident]") + "    identities:\n      telegram: \"@zhangsan\"\n"},
	{"duplicate_identity", 20, "roster[3].identities.telegram", valid +
		member("zhangsan", "张三", "[resident]") + "    identities: {telegram: 100001}\n" +
		member("lisi", "李四", "[resident]") + "    identities: {telegram: 100001}\n"},
	{"duplicate_console_name", 17, "roster[3].name", valid + member("zhangsan", "张三", "[resident]") + member("zhangsan2", "张三", "[resident]")},
	{"duplicate_console_identity", 20, "roster[3].identities.console", valid +
		member("zhangsan", "张三", "[resident]") + "    identities: {console: 老张}\n" +
		member("zhangsan2", "张三", "[resident]") + "    identities: {console: 老张}\n"},
	{"no_secretary", 6, "roster", head + "roster:\n  - id: jianwei\n    name: 监委乙\n    roles: [supervisor]\n"},
	{"no_supervisor", 6, "roster", head + "roster:\n  - id: shuji\n    name: 书记甲\n    roles: [secretary]\n"},
	{"bad_cron", 14, "reminders.cron", valid + "reminders:\n  cron: \"0 9 * *\"\n"},
	{"cron_that_panics", 14, "reminders.cron", valid + "reminders:\n  cron: \"TZ=Asia/Shanghai\"\n"},
	{"cron_with_time_zone", 14, "reminders.cron", valid + "reminders:\n  cron: \"CRON_TZ=Asia/Shanghai 0 9 * * *\"\n"},
	{"cron_never_fires", 14, "reminders.cron", valid + "reminders:\n  cron: \"0 9 30 2 *\"\n"},
	{"reminders_bad_timezone", 14, "reminders.timezone", valid + "reminders:\n  timezone: Beijing\n"},
	{"negative_days", 15, "reminders.stale_days", valid + "reminders:\n  due_within_days: 3\n  stale_days: -1\n"},
	{"too_many_days", 14, "reminders.escalate_after_days", valid + "reminders:\n  escalate_after_days: 1000\n"},
	{"bad_quiet_hours", 14, "reminders.quiet_hours", valid + "reminders:\n  quiet_hours: 9pm-8am\n"},
	{"quiet_hours_out_of_range", 14, "reminders.quiet_hours", valid + "reminders:\n  quiet_hours: \"24:00-08:00\"\n"},
	{"quiet_hours_empty_range", 14, "reminders.quiet_hours", valid + "reminders:\n  quiet_hours: \"08:00-08:00\"\n"},
	{"negative_eligible", 13, "eligible", valid + "eligible: -3\n"},
	{"eligible_unknown_basis", 14, "eligible.people", valid + "eligible:\n  people: 300\n"},
	{"eligible_negative_households", 15, "eligible.households", valid + "eligible:\n  adults: 300\n  households: -1\n"},
	{"eligible_fraction", 14, "eligible.adults", valid + "eligible:\n  adults: 30.5\n"},
	{"http_without_port", 13, "http", valid + "http: localhost\n"},
	{"public_from_unknown", 13, "public_from", valid + "public_from: 表决后\n"},
	{"alias_bomb", 0, "", aliasBomb(12)},
	// YAMLPath cannot enter an anchored node; the line must still be exact.
	{"anchored_roster", 15, "roster[2].roles[0]", head + "roster: &people\n" + members[len("roster:\n"):] + member("x", "某人", "[mayor]")},
}

// aliasBomb nests aliases ten-fold per level: the expanded file has 10^levels
// nodes ("billion laughs").
func aliasBomb(levels int) string {
	var b strings.Builder
	b.WriteString(valid + "x0: &x0 [a, a, a, a, a, a, a, a, a, a]\n")
	for i := 1; i < levels; i++ {
		fmt.Fprintf(&b, "x%d: &x%d [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*x%d", i-1)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

func TestParseErrors(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			if seen[tc.name] {
				t.Fatalf("duplicate case name")
			}
			seen[tc.name] = true
			c, err := Parse("test.yaml", []byte(tc.src))
			if err == nil {
				t.Fatalf("Parse succeeded, want an error; got %+v", c)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			if e.File != "test.yaml" || e.Line != tc.line || e.Field != tc.field {
				t.Errorf("got file %q line %d field %q, want test.yaml line %d field %q\n%v", e.File, e.Line, e.Field, tc.line, tc.field, err)
			}
			if strings.Contains(e.Msg, "\n") {
				t.Errorf("message spans lines: %q", e.Msg)
			}
			golden(t, filepath.Join("testdata", "errors", tc.name+".golden"), err.Error()+"\n")
		})
	}
}

// golden compares got with the file, or rewrites it under -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create): %v", err)
	}
	if got != string(want) {
		t.Errorf("mismatch with %s (run with -update if intended)\ngot:  %s\nwant: %s", path, got, want)
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "a.yaml", Line: 3, Field: "roster[0].id", Msg: "缺少"}, "a.yaml:3: roster[0].id: 缺少"},
		{Error{File: "a.yaml", Field: "id", Msg: "缺少"}, "a.yaml: id: 缺少"},
		{Error{File: "a.yaml", Line: 2, Msg: "格式"}, "a.yaml:2: 格式"},
		{Error{File: "a.yaml", Msg: "空"}, "a.yaml: 空"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

// TestEligibleByBasis: one number is the adults (older files); a mapping
// gives each basis its own number, and the presets pick theirs.
func TestEligibleByBasis(t *testing.T) {
	for _, tc := range []struct {
		name, yaml                          string
		adults, households, representatives int
	}{
		{"none", "", 0, 0, 0},
		{"one number", "eligible: 300\n", 300, 0, 0},
		{"by basis", "eligible:\n  adults: 300\n  households: 120\n  representatives: 45\n", 300, 120, 45},
		{"households only", "eligible:\n  households: 120\n", 0, 120, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("test.yaml", []byte(valid+tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			got := [3]int{c.EligibleFor(bot.BasisAdults), c.EligibleFor(bot.BasisHouseholds), c.EligibleFor(bot.BasisRepresentatives)}
			if want := [3]int{tc.adults, tc.households, tc.representatives}; got != want {
				t.Errorf("adults/households/representatives = %v, want %v", got, want)
			}
			if c.EligibleFor("") != 0 {
				t.Error("the default preset has no statutory base")
			}
		})
	}
}
