package config

import (
	"time"

	"github.com/yishi-community/yishi/bot"
)

// Platforms are the chat platforms a group or an identity may name.
var Platforms = []string{"console", "telegram", "wechat"}

// Community kinds.
const (
	KindVillage   = "village"   // 村
	KindCommunity = "community" // 城市社区
)

// Defaults applied when a field is omitted.
const (
	DefaultTimezone        = "Asia/Shanghai"
	DefaultProposalTimeout = 30 * time.Minute
	// DefaultObjectionDays is the 公示 objection window when a community sets none.
	DefaultObjectionDays = 5
	DefaultReminderCron  = "0 9 * * *"
	DefaultDueWithinDays = 3
	DefaultStaleDays     = 7
	DefaultEscalateDays  = 7
	DefaultQuietHours    = "21:00-08:00"
)

// Community is one community's configuration: its groups, roster and rules.
type Community struct {
	ID              string // stable key, [a-z0-9-]+, unique across files
	Name            string // display name (后陈村)
	Kind            string // KindVillage or KindCommunity
	Location        *time.Location
	DefaultPreset   string        // key of bot.Presets
	ProposalTimeout time.Duration // an idle conversational flow is cancelled after this
	Groups          []Group
	Roster          []bot.Member // every member has at least one role and a console identity
	Reminders       Reminders
	Eligible        int // the adults: statutory base for assembly presets; 0: unknown
	// EligibleBy is the statutory number per quorum basis (bot.BasisAdults,
	// bot.BasisHouseholds, bot.BasisRepresentatives), from `eligible:`.
	EligibleBy map[string]int
	// Recusal: stakeholders named at approval speak but do not vote.
	// LEGAL.md: no source sets it, so it is off by default and recorded.
	Recusal bool
	// CoolingOffDays is how long a failed topic waits before it may be held
	// again (0: no wait; off by default, LEGAL.md).
	CoolingOffDays int
	// ObjectionDays is the 公示 objection window in days (0: none).
	ObjectionDays int
	Backup        *Backup // nil: no scheduled backups (parse.go)
	File          string  // the file it was read from (SampleFile for the embedded sample)
	// HTTP is the listen address of the bot's HTTP server (yishi run
	// --http overrides it); "": off. One process, one server: the first
	// community that sets it decides.
	HTTP string
	// PublicFrom is from which stage a topic shows on the web's public board:
	// PublicFromApproved (审定, the default: its meeting notice is posted in
	// the group anyway) or PublicFromPublished (公示 only).
	PublicFrom string

	// Lines of the id and of each group's chat, for errors that name two
	// files (LoadDir).
	idLine    int
	chatLines []int
}

// Group is a group chat the bot serves for a community.
type Group struct {
	Name     string // used in messages and on the console
	Platform string // one of Platforms
	Chat     string // the platform's chat id
}

// Reminders configures the follow-up reminders to the supervision committee.
type Reminders struct {
	Cron              string // robfig/cron/v3 standard spec, without a time zone
	Location          *time.Location
	DueWithinDays     int
	StaleDays         int
	EscalateAfterDays int
	// Quiet hours as offsets from midnight; equal values mean none. The
	// range may wrap midnight (21:00-08:00).
	QuietStart, QuietEnd time.Duration
}

// Quiet reports whether t falls in the quiet hours (no reminders are sent).
func (r Reminders) Quiet(t time.Time) bool {
	if r.QuietStart == r.QuietEnd {
		return false
	}
	if r.Location != nil {
		t = t.In(r.Location)
	}
	d := time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second
	if r.QuietStart < r.QuietEnd {
		return d >= r.QuietStart && d < r.QuietEnd
	}
	return d >= r.QuietStart || d < r.QuietEnd
}

// Member returns the member with the given id, or nil.
func (c *Community) Member(id string) *bot.Member {
	for i := range c.Roster {
		if c.Roster[i].ID == id {
			return &c.Roster[i]
		}
	}
	return nil
}

// MemberByIdentity returns the member known on platform as identity, or nil.
func (c *Community) MemberByIdentity(platform, identity string) *bot.Member {
	if identity == "" {
		return nil
	}
	for i := range c.Roster {
		if c.Roster[i].Identities[platform] == identity {
			return &c.Roster[i]
		}
	}
	return nil
}

// MemberByName returns every member with the display name (names may repeat
// in a village, so callers must handle more than one).
func (c *Community) MemberByName(name string) []*bot.Member {
	var out []*bot.Member
	for i := range c.Roster {
		if c.Roster[i].Name == name {
			out = append(out, &c.Roster[i])
		}
	}
	return out
}

// GroupByChat returns the group with the platform chat id, or nil.
func (c *Community) GroupByChat(platform, chat string) *Group {
	for i := range c.Groups {
		if c.Groups[i].Platform == platform && c.Groups[i].Chat == chat {
			return &c.Groups[i]
		}
	}
	return nil
}

// WithRole returns the members holding role r, in roster order.
func (c *Community) WithRole(r bot.Role) []*bot.Member {
	var out []*bot.Member
	for i := range c.Roster {
		if c.Roster[i].Has(r) {
			out = append(out, &c.Roster[i])
		}
	}
	return out
}

// Preset returns the community's default rule preset.
func (c *Community) Preset() *bot.Preset {
	if p, ok := bot.Presets[c.DefaultPreset]; ok {
		return p
	}
	return bot.Presets[bot.DefaultPreset]
}

// EligibleFor is the statutory number of a quorum basis (0: not set, the
// invited count is used).
func (c *Community) EligibleFor(basis string) int {
	if n := c.EligibleBy[basis]; n > 0 {
		return n
	}
	if basis == bot.BasisAdults {
		return c.Eligible
	}
	return 0
}

// The stages from which the public board shows a topic (public_from).
const (
	PublicFromApproved  = "approved"
	PublicFromPublished = "published"
)
