package config

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"net"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the zone database ships in the binary: small hosts often lack /usr/share/zoneinfo

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/robfig/cron/v3"

	"github.com/yishi-community/yishi/bot"
)

// The raw types mirror the file; Parse checks them and builds a Community.
// Optional numbers are pointers so that an explicit 0 differs from "absent".
type rawCommunity struct {
	ID              string        `yaml:"id"`
	Name            string        `yaml:"name"`
	Kind            string        `yaml:"kind"`
	Timezone        string        `yaml:"timezone"`
	DefaultPreset   string        `yaml:"default_preset"`
	ProposalTimeout string        `yaml:"proposal_timeout"`
	Groups          []rawGroup    `yaml:"groups"`
	Roster          []rawMember   `yaml:"roster"`
	Reminders       *rawReminders `yaml:"reminders"`
	Eligible        any           `yaml:"eligible"` // a number (adults) or a mapping by basis
	Recusal         bool          `yaml:"recusal"`
	CoolingOffDays  *int          `yaml:"cooling_off_days"`
	ObjectionDays   *int          `yaml:"objection_days"`
	Backup          *rawBackup    `yaml:"backup"`
	HTTP            string        `yaml:"http"`
	PublicFrom      string        `yaml:"public_from"`
}

type rawBackup struct {
	Schedule string `yaml:"schedule"`
	Dir      string `yaml:"dir"`
	Keep     *int   `yaml:"keep"`
}

// Backup schedules backups of the data directory (run inside the bot).
type Backup struct {
	Schedule string         // robfig/cron/v3 standard spec, in the community's time zone
	Dir      string         // where the backup files go
	Keep     int            // newest backups kept; older ones are removed
	Location *time.Location // the community's
}

// DefaultBackupKeep is how many backups are kept when keep is not given.
const DefaultBackupKeep = 14

type rawGroup struct {
	Name     string `yaml:"name"`
	Platform string `yaml:"platform"`
	Chat     string `yaml:"chat"`
}

type rawMember struct {
	ID         string            `yaml:"id"`
	Name       string            `yaml:"name"`
	Roles      []string          `yaml:"roles"`
	Identities map[string]string `yaml:"identities"`
}

type rawReminders struct {
	Cron              string  `yaml:"cron"`
	Timezone          string  `yaml:"timezone"`
	DueWithinDays     *int    `yaml:"due_within_days"`
	StaleDays         *int    `yaml:"stale_days"`
	EscalateAfterDays *int    `yaml:"escalate_after_days"`
	QuietHours        *string `yaml:"quiet_hours"`
}

// Limits that catch typos (an extra zero) before they become odd behaviour.
const (
	maxIDLen      = 64
	maxDays       = 365
	maxEligible   = 10_000_000
	minFlowTimout = time.Minute
)

var (
	communityIDRE = regexp.MustCompile(`^[a-z0-9-]+$`)
	memberIDRE    = regexp.MustCompile(`^[a-z0-9_-]+$`)
	telegramChat  = regexp.MustCompile(`^-?[0-9]+$`)
	telegramUser  = regexp.MustCompile(`^[0-9]+$`)
	quietRE       = regexp.MustCompile(`^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$`)
)

// Parse reads one community file. filename is used in error messages only.
// The error, if any, is a single *Error naming the file, the line and the
// field.
func Parse(filename string, data []byte) (c *Community, err error) {
	// The YAML and cron libraries are third-party code fed operator input;
	// a panic there must become an error, not stop the process.
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, &Error{File: filename, Msg: fmt.Sprintf("无法解析这个文件（解析器内部错误：%v）", r)}
		}
	}()
	// Windows Notepad saves UTF-8 with a byte-order mark; YAML would read
	// it as part of the first key.
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	f, perr := parser.ParseBytes(data, 0)
	idx := newASTIndex(f)
	if perr != nil {
		return nil, decodeError(filename, idx, perr)
	}
	var bodies []ast.Node
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			bodies = append(bodies, doc.Body)
		}
	}
	switch {
	case len(bodies) == 0:
		return nil, &Error{File: filename, Msg: "文件是空的：至少要写 id、name、groups 和 roster"}
	case len(bodies) > 1:
		e := &Error{File: filename, Msg: fmt.Sprintf("一个文件只能写一个社区，这里有 %d 个 YAML 文档（用 --- 分隔）；请把每个社区放进自己的文件", len(bodies))}
		if tk := bodies[1].GetToken(); tk != nil && tk.Position != nil {
			e.Line = tk.Position.Line
		}
		return nil, e
	}
	if expandedSize(bodies[0], map[string]int{}, 0) > maxExpanded {
		return nil, &Error{File: filename, Msg: "别名（*名称）展开后内容太多，请直接写出内容，不要层层引用"}
	}
	var raw rawCommunity
	if err := yaml.UnmarshalWithOptions(data, &raw, yaml.DisallowUnknownField()); err != nil {
		return nil, decodeError(filename, idx, err)
	}
	v := &validator{file: filename, idx: idx}
	c = v.community(&raw)
	if v.err != nil {
		return nil, v.err
	}
	c.File = filename
	return c, nil
}

// validator checks a decoded file and keeps the first problem found, in
// file order as far as possible.
type validator struct {
	file string
	idx  *astIndex
	err  *Error
}

func (v *validator) fail(field, format string, args ...any) {
	if v.err == nil {
		v.err = &Error{File: v.file, Line: v.idx.line(field), Field: field, Msg: fmt.Sprintf(format, args...)}
	}
}

func (v *validator) community(raw *rawCommunity) *Community {
	c := &Community{ID: raw.ID, Name: strings.TrimSpace(raw.Name), idLine: v.idx.line("id")}
	switch {
	case raw.ID == "":
		v.fail("id", "缺少社区 id（小写字母、数字和 -，例如 houchen）")
	case !communityIDRE.MatchString(raw.ID) || len(raw.ID) > maxIDLen:
		v.fail("id", "社区 id %q 只能用小写字母、数字和 -，最长 %d 个字符（例如 houchen）", raw.ID, maxIDLen)
	case c.Name == "":
		v.fail("name", "缺少社区名称（例如 后陈村）")
	case !singleLine(c.Name):
		v.fail("name", multiLine)
	}
	c.Kind = raw.Kind
	switch c.Kind {
	case "":
		c.Kind = KindVillage
	case KindVillage, KindCommunity:
	default:
		v.fail("kind", "未知的社区类型 %q（可用：village 村, community 城市社区）", raw.Kind)
	}
	c.Location = v.location("timezone", raw.Timezone, nil)
	c.DefaultPreset = v.preset(raw.DefaultPreset, c.Kind)
	c.ProposalTimeout = v.duration("proposal_timeout", raw.ProposalTimeout, DefaultProposalTimeout)
	c.Groups, c.chatLines = v.groups(raw.Groups)
	c.Roster = v.roster(raw.Roster)
	c.Reminders = v.reminders(raw.Reminders, c.Location)
	c.Eligible, c.EligibleBy = v.eligible(raw.Eligible)
	c.Recusal = raw.Recusal
	c.CoolingOffDays = v.integer("cooling_off_days", raw.CoolingOffDays, 0, 3650)
	c.ObjectionDays = DefaultObjectionDays
	if raw.ObjectionDays != nil {
		c.ObjectionDays = v.integer("objection_days", raw.ObjectionDays, 0, 90)
	}
	c.Backup = v.backup(raw.Backup, c.Location)
	switch strings.TrimSpace(raw.PublicFrom) {
	case "", PublicFromApproved, "审定", "已审定":
		c.PublicFrom = PublicFromApproved
	case PublicFromPublished, "公示", "已公示":
		c.PublicFrom = PublicFromPublished
	default:
		v.fail("public_from", "公开栏从哪一步开始公开议题：approved(审定后，默认)或 published(公示后)，现在是 %q", raw.PublicFrom)
	}
	c.HTTP = strings.TrimSpace(raw.HTTP)
	if _, port, err := net.SplitHostPort(c.HTTP); c.HTTP != "" && (err != nil || port == "") {
		v.fail("http", "HTTP 监听地址 %q 要写成 主机:端口，例如 \"127.0.0.1:8080\" 或 \":8080\"", c.HTTP)
	}
	if v.err == nil {
		if len(c.WithRole(bot.RoleSecretary)) == 0 {
			v.fail("roster", "名册里至少要有一位党组织书记（secretary）：议题须经党组织审定")
		} else if len(c.WithRole(bot.RoleSupervisor)) == 0 {
			v.fail("roster", "名册里至少要有一位监督委员会成员（supervisor）：监委会全过程监督并确认落实")
		}
	}
	return c
}

// location loads an IANA zone; "" gives def, or Asia/Shanghai when def is nil.
func (v *validator) location(field, name string, def *time.Location) *time.Location {
	if name == "" {
		if def != nil {
			return def
		}
		name = DefaultTimezone
	}
	// "Local" would make the schedule depend on the server's settings.
	loc, err := time.LoadLocation(name)
	if err != nil || name == "Local" {
		v.fail(field, "未知的时区 %q（请用 IANA 时区名，例如 Asia/Shanghai）", name)
		return time.UTC
	}
	return loc
}

func (v *validator) preset(name, kind string) string {
	if name == "" {
		return bot.DefaultPreset
	}
	p, ok := bot.PresetByName(name)
	if !ok {
		keys := make([]string, 0, len(bot.Presets))
		for k, p := range bot.Presets {
			keys = append(keys, k+" "+p.Name)
		}
		sort.Strings(keys)
		v.fail("default_preset", "未知的表决规则 %q（可用：%s）", name, strings.Join(keys, ", "))
		return bot.DefaultPreset
	}
	// The assembly statutes differ for villages and urban communities.
	switch {
	case (p.Key == "villagers" || p.Key == "villagers_households") && kind == KindCommunity:
		v.fail("default_preset", "村民会议规则（村民委员会组织法）只适用于村；城市社区请用 residents 居民会议")
	case p.Key == "residents" && kind == KindVillage:
		v.fail("default_preset", "居民会议规则（城市居民委员会组织法）只适用于城市社区；村请用 villagers 村民会议，或把 kind 改为 community")
	}
	return p.Key
}

func (v *validator) duration(field, s string, def time.Duration) time.Duration {
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		v.fail(field, "时长 %q 格式不对（例如 30m、1h、1h30m）", s)
		return def
	case d < 0:
		v.fail(field, "时长不能为负数：%q", s)
		return def
	case d < minFlowTimout:
		v.fail(field, "时长 %q 太短，至少 1m（群里的人需要时间回复）", s)
		return def
	}
	return d
}

// integer checks an optional whole number in [0, max].
// eligible reads the statutory bases of the assembly presets: either one
// number (the adults; older files) or a mapping by basis, e.g.
// {adults: 300, households: 120, representatives: 45}.
func (v *validator) eligible(raw any) (int, map[string]int) {
	number := func(field string, x any) int {
		var n int
		switch x := x.(type) {
		case uint64:
			if x > maxEligible {
				v.fail(field, "数字太大：%d（最多 %d）", x, maxEligible)
				return 0
			}
			n = int(x)
		case int64:
			n = int(x)
		case int:
			n = x
		case float64: // beyond uint64, or with a fraction
			if x == math.Trunc(x) && x > maxEligible {
				v.fail(field, "数字太大：%.0f（最多 %d）", x, maxEligible)
			} else {
				v.fail(field, "应填整数，现在是 %v", x)
			}
			return 0
		case nil:
			return 0
		case string:
			if strings.Trim(x, "0123456789") == "" && x != "" { // beyond every integer type
				v.fail(field, "数字太大")
			} else {
				v.fail(field, "类型不对，这里应填整数")
			}
			return 0
		default:
			v.fail(field, "类型不对，这里应填整数，或按 adults/households/representatives 分别填写")
			return 0
		}
		return v.integer(field, &n, 0, maxEligible)
	}
	switch r := raw.(type) {
	case nil:
		return 0, nil
	case map[string]any:
		by := map[string]int{}
		for k, x := range r {
			if !slices.Contains(bot.Bases, k) {
				v.fail("eligible."+k, "未知的法定基数 %q（可用：adults 十八周岁以上村民/成年居民, households 户数, representatives 村民代表人数）", k)
				continue
			}
			if n := number("eligible."+k, x); n > 0 {
				by[k] = n
			}
		}
		return by[bot.BasisAdults], by
	default:
		return number("eligible", raw), nil
	}
}

func (v *validator) integer(field string, p *int, def, max int) int {
	if p == nil {
		return def
	}
	// The decoder truncates 3.5 to 3 silently; the AST still knows.
	if n := v.idx.node(field); n != nil && n.Type() == ast.FloatType {
		v.fail(field, "应填整数，现在是 %s", n.String())
		return def
	}
	switch {
	case *p < 0:
		v.fail(field, "不能为负数：%d", *p)
		return def
	case *p > max:
		v.fail(field, "数字太大：%d（最多 %d）", *p, max)
		return def
	}
	return *p
}

// multiLine is the message for a name or id with a line break: it would
// break the one-line chat and console formats.
const multiLine = "只能写一行，不能包含换行或控制字符"

func singleLine(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029 {
			return false
		}
	}
	return true
}

func platformList() string { return strings.Join(Platforms, ", ") }

func (v *validator) groups(raw []rawGroup) ([]Group, []int) {
	if len(raw) == 0 {
		v.fail("groups", "至少要有一个群（groups），机器人在群里组织议事")
		return nil, nil
	}
	out := make([]Group, 0, len(raw))
	lines := make([]int, 0, len(raw))
	seen := map[[2]string]int{}
	for i, g := range raw {
		f := indexField("groups", i)
		switch {
		case g.Platform == "":
			v.fail(joinField(f, "platform"), "缺少平台 platform（可用：%s）", platformList())
		case !slices.Contains(Platforms, g.Platform):
			v.fail(joinField(f, "platform"), "未知的平台 %q（可用：%s）", g.Platform, platformList())
		case strings.TrimSpace(g.Chat) == "":
			v.fail(joinField(f, "chat"), "缺少群的 chat（console 和 wechat 填群名，telegram 填数字 chat id）")
		case !singleLine(g.Chat):
			v.fail(joinField(f, "chat"), multiLine)
		case !singleLine(g.Name):
			v.fail(joinField(f, "name"), multiLine)
		case g.Platform == "telegram" && !telegramChat.MatchString(g.Chat):
			v.fail(joinField(f, "chat"), "Telegram 群的 chat 应是数字 chat id（例如 -1001234567890），现在是 %q", g.Chat)
		}
		if v.err != nil {
			return nil, nil
		}
		k := [2]string{g.Platform, g.Chat}
		if j, dup := seen[k]; dup {
			v.fail(joinField(f, "chat"), "群 %s:%s 重复，groups[%d] 已经写过", g.Platform, g.Chat, j)
			return nil, nil
		}
		seen[k] = i
		name := strings.TrimSpace(g.Name)
		if name == "" {
			name = g.Chat
		}
		out = append(out, Group{Name: name, Platform: g.Platform, Chat: g.Chat})
		lines = append(lines, v.idx.line(joinField(f, "chat")))
	}
	return out, lines
}

func roleList() string {
	s := make([]string, len(bot.AllRoles))
	for i, r := range bot.AllRoles {
		s[i] = string(r) + " " + r.Chinese()
	}
	return strings.Join(s, ", ")
}

func (v *validator) roster(raw []rawMember) []bot.Member {
	out := make([]bot.Member, 0, len(raw))
	ids := map[string]int{}
	type owner struct {
		member   int
		fromName bool // the console identity defaulted to the name
	}
	idents := map[[2]string]owner{}
	for i, m := range raw {
		f := indexField("roster", i)
		name := strings.TrimSpace(m.Name)
		switch {
		case m.ID == "":
			v.fail(joinField(f, "id"), "缺少成员 id（小写字母、数字、_ 和 -，例如 zhangsan）")
		case !memberIDRE.MatchString(m.ID) || len(m.ID) > maxIDLen:
			v.fail(joinField(f, "id"), "成员 id %q 只能用小写字母、数字、_ 和 -，最长 %d 个字符（例如 zhangsan）", m.ID, maxIDLen)
		case name == "":
			v.fail(joinField(f, "name"), "缺少成员姓名")
		case !singleLine(name):
			v.fail(joinField(f, "name"), multiLine)
		case len(m.Roles) == 0:
			v.fail(joinField(f, "roles"), "至少要有一个角色（可用：%s）", roleList())
		}
		if v.err != nil {
			return nil
		}
		if j, dup := ids[m.ID]; dup {
			v.fail(joinField(f, "id"), "成员 id %q 重复，roster[%d]（%s）已经使用", m.ID, j, raw[j].Name)
			return nil
		}
		ids[m.ID] = i
		member := bot.Member{ID: m.ID, Name: name, Identities: map[string]string{}}
		for j, s := range m.Roles {
			r, ok := bot.RoleByName(strings.TrimSpace(s))
			if !ok {
				v.fail(indexField(joinField(f, "roles"), j), "未知的角色 %q（可用：%s）", s, roleList())
				return nil
			}
			if !member.Has(r) {
				member.Roles = append(member.Roles, r)
			}
		}
		idField := joinField(f, "identities")
		platforms := make([]string, 0, len(m.Identities))
		for p := range m.Identities {
			platforms = append(platforms, p)
		}
		sort.Strings(platforms)
		for _, p := range platforms {
			id := strings.TrimSpace(m.Identities[p])
			pf := joinField(idField, p)
			switch {
			case !slices.Contains(Platforms, p):
				v.fail(pf, "未知的平台 %q（可用：%s）", p, platformList())
			case id == "":
				v.fail(pf, "%s 身份为空；不知道时请删去这一行", p)
			case !singleLine(id):
				v.fail(pf, multiLine)
			case p == "telegram" && !telegramUser.MatchString(id):
				v.fail(pf, "Telegram 身份应是数字用户 id（例如 \"100001\"），现在是 %q", id)
			}
			if v.err != nil {
				return nil
			}
			member.Identities[p] = id
		}
		fromName := false
		if _, ok := member.Identities["console"]; !ok {
			member.Identities["console"] = name
			fromName = true
		}
		for _, p := range Platforms {
			id, ok := member.Identities[p]
			if !ok {
				continue
			}
			k := [2]string{p, id}
			if prev, dup := idents[k]; dup {
				other := raw[prev.member]
				if p == "console" && (fromName || prev.fromName) {
					field := joinField(idField, p)
					if fromName {
						field = joinField(f, "name")
					}
					v.fail(field, "控制台身份 %q 与 roster[%d]（%s, %s）重复；两人同名时，请给其中一人写 identities.console 加以区分", id, prev.member, other.ID, other.Name)
				} else {
					v.fail(joinField(idField, p), "%s 身份 %q 重复，roster[%d]（%s, %s）已经使用", p, id, prev.member, other.ID, other.Name)
				}
				return nil
			}
			idents[k] = owner{member: i, fromName: fromName && p == "console"}
		}
		out = append(out, member)
	}
	return out
}

func (v *validator) reminders(raw *rawReminders, community *time.Location) Reminders {
	if raw == nil {
		raw = &rawReminders{}
	}
	r := Reminders{
		Cron:     raw.Cron,
		Location: v.location("reminders.timezone", raw.Timezone, community),
	}
	if r.Cron == "" {
		r.Cron = DefaultReminderCron
	}
	v.cron("reminders.cron", r.Cron, r.Location)
	r.DueWithinDays = v.integer("reminders.due_within_days", raw.DueWithinDays, DefaultDueWithinDays, maxDays)
	r.StaleDays = v.integer("reminders.stale_days", raw.StaleDays, DefaultStaleDays, maxDays)
	r.EscalateAfterDays = v.integer("reminders.escalate_after_days", raw.EscalateAfterDays, DefaultEscalateDays, maxDays)
	quiet := DefaultQuietHours
	if raw.QuietHours != nil {
		quiet = *raw.QuietHours
	}
	var err error
	if r.QuietStart, r.QuietEnd, err = ParseQuietHours(quiet); err != nil {
		v.fail("reminders.quiet_hours", "%s", err.Error())
	}
	return r
}

// backup checks the backup block; nil when there is none.
func (v *validator) backup(raw *rawBackup, loc *time.Location) *Backup {
	if raw == nil {
		return nil
	}
	b := &Backup{Schedule: strings.TrimSpace(raw.Schedule), Dir: strings.TrimSpace(raw.Dir), Location: loc}
	if b.Schedule == "" {
		b.Schedule = "0 3 * * *"
	}
	s, err := ParseCron(b.Schedule)
	switch {
	case err != nil:
		v.fail("backup.schedule", "备份时间 %q 不是有效的 cron 表达式（5 段：分 时 日 月 周，例如 \"0 3 * * *\" 表示每天 3 点）", b.Schedule)
	case strings.HasPrefix(b.Schedule, "TZ=") || strings.HasPrefix(b.Schedule, "CRON_TZ="):
		v.fail("backup.schedule", "cron 表达式里不要写时区：备份按社区的 timezone 计时")
	case s.Next(time.Date(2025, 1, 1, 0, 0, 0, 0, loc)).IsZero():
		v.fail("backup.schedule", "备份时间 %q 永远不会到（例如 2 月 30 日），请检查日期", b.Schedule)
	}
	if b.Dir == "" {
		v.fail("backup.dir", "缺少备份目录（例如 dir: /var/backups/yishi）")
	} else if !singleLine(b.Dir) {
		v.fail("backup.dir", multiLine)
	}
	b.Keep = v.integer("backup.keep", raw.Keep, DefaultBackupKeep, 1000)
	if raw.Keep != nil && *raw.Keep == 0 {
		v.fail("backup.keep", "至少保留 1 份备份")
	}
	return b
}

func (v *validator) cron(field, spec string, loc *time.Location) {
	s, err := ParseCron(spec)
	switch {
	case err != nil:
		v.fail(field, "提醒时间 %q 不是有效的 cron 表达式（5 段：分 时 日 月 周，例如 \"0 9 * * *\" 表示每天 9 点）", spec)
	case strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ="):
		v.fail(field, "cron 表达式里不要写时区，请用 reminders.timezone")
	case s.Next(time.Date(2025, 1, 1, 0, 0, 0, 0, loc)).IsZero():
		v.fail(field, "提醒时间 %q 永远不会到（例如 2 月 30 日），请检查日期", spec)
	}
}

// ParseCron parses a robfig/cron/v3 standard spec. That parser panics on
// some malformed specs ("TZ=Asia/Shanghai" without a space slices with -1);
// the panic is returned as an error.
func ParseCron(spec string) (s cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("parse cron spec %q: parser panicked: %v", spec, r)
		}
	}()
	s, err = cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("parse cron spec %q: %w", spec, err)
	}
	return s, nil
}

// ParseQuietHours parses "21:00-08:00" into offsets from midnight. "" and
// "none" mean no quiet hours (0, 0). Full-width colons and other dashes
// typed by Chinese input methods are accepted. The error is Chinese.
func ParseQuietHours(s string) (start, end time.Duration, err error) {
	t := strings.NewReplacer("：", ":", "～", "-", "~", "-", "—", "-", "－", "-", "至", "-", "到", "-", " ", "", "\t", "").Replace(s)
	if t == "" || strings.EqualFold(t, "none") || t == "无" {
		return 0, 0, nil
	}
	bad := fmt.Errorf("免打扰时段 %q 格式不对（例如 \"21:00-08:00\"；不设免打扰请写 none）", s)
	m := quietRE.FindStringSubmatch(t)
	if m == nil {
		return 0, 0, bad
	}
	var n [4]int
	for i := range n {
		n[i], _ = strconv.Atoi(m[i+1])
	}
	if n[0] > 23 || n[2] > 23 || n[1] > 59 || n[3] > 59 {
		return 0, 0, bad
	}
	start = time.Duration(n[0])*time.Hour + time.Duration(n[1])*time.Minute
	end = time.Duration(n[2])*time.Hour + time.Duration(n[3])*time.Minute
	if start == end {
		return 0, 0, errors.New("免打扰时段的开始和结束不能相同；不设免打扰请写 none")
	}
	return start, end, nil
}
