package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/yishi-community/yishi/bot"
)

// FuzzParse checks that no input panics and that every answer is either a
// well-formed *Error or a community that keeps Parse's promises. Seeds: the
// sample, every error case, and testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add(SampleYAML())
	f.Add([]byte(valid))
	for _, tc := range errorCases {
		f.Add([]byte(tc.src))
	}
	for _, spec := range panickingSpecs {
		f.Add([]byte(valid + "reminders:\n  cron: \"" + spec + "\"\n"))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			if e.File != "fuzz.yaml" || e.Msg == "" || e.Line < 0 || !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("malformed error %#v", e)
			}
			if c != nil {
				t.Fatal("both a community and an error")
			}
			return
		}
		if !communityIDRE.MatchString(c.ID) || c.Name == "" || c.Location == nil || c.Reminders.Location == nil {
			t.Fatalf("bad header: %+v", c)
		}
		if _, ok := bot.Presets[c.DefaultPreset]; !ok || c.ProposalTimeout < minFlowTimout {
			t.Fatalf("bad preset or timeout: %+v", c)
		}
		if len(c.Groups) == 0 || len(c.WithRole(bot.RoleSecretary)) == 0 || len(c.WithRole(bot.RoleSupervisor)) == 0 {
			t.Fatalf("missing groups, secretary or supervisor: %+v", c)
		}
		seen := map[[2]string]bool{}
		for _, m := range c.Roster {
			if !memberIDRE.MatchString(m.ID) || m.Name == "" || len(m.Roles) == 0 || m.Identities["console"] == "" {
				t.Fatalf("bad member %+v", m)
			}
			for _, r := range m.Roles {
				if !r.Valid() {
					t.Fatalf("invalid role %q", r)
				}
			}
			for p, id := range m.Identities {
				k := [2]string{p, id}
				if seen[k] {
					t.Fatalf("duplicate identity %v", k)
				}
				seen[k] = true
			}
		}
		if _, err := ParseCron(c.Reminders.Cron); err != nil {
			t.Fatalf("accepted cron %q: %v", c.Reminders.Cron, err)
		}
	})
}
