package config

import (
	"bytes"
	"testing"

	"github.com/yishi-community/yishi/bot"
)

func TestSample(t *testing.T) {
	c := Sample()
	if c.ID != "houchen" || c.Name != "后陈村" || c.Kind != KindVillage || c.File != SampleFile {
		t.Errorf("sample header: %q %q %q %q", c.ID, c.Name, c.Kind, c.File)
	}
	if len(c.Groups) != 1 || c.Groups[0] != (Group{Name: "后陈村议事群", Platform: "console", Chat: "后陈村议事群"}) {
		t.Errorf("sample groups: %+v", c.Groups)
	}
	if n := len(c.Roster); n < 10 || n > 16 {
		t.Errorf("sample roster has %d members, want about a dozen", n)
	}
	for _, r := range bot.AllRoles {
		if len(c.WithRole(r)) == 0 {
			t.Errorf("no sample member is %s (%s)", r, r.Chinese())
		}
	}
	wantCount := map[bot.Role]int{bot.RoleSupervisor: 2, bot.RoleCommittee: 2, bot.RoleRepresentative: 3, bot.RoleResident: 2}
	for r, n := range wantCount {
		if got := len(c.WithRole(r)); got != n {
			t.Errorf("%d members are %s, want %d", got, r.Chinese(), n)
		}
	}
	sec, dir := c.WithRole(bot.RoleSecretary), c.WithRole(bot.RoleDirector)
	if len(sec) != 1 || len(dir) != 1 || sec[0].ID == dir[0].ID {
		t.Errorf("secretary and director must be two different people: %v %v", sec, dir)
	}
	names := map[string]bool{}
	for _, m := range c.Roster {
		if names[m.Name] {
			t.Errorf("sample name %s repeats; tests address people by name", m.Name)
		}
		names[m.Name] = true
		if m.Identities["console"] != m.Name {
			t.Errorf("%s: console identity %q, want the name", m.ID, m.Identities["console"])
		}
		if got := c.MemberByIdentity("console", m.Name); got == nil || got.ID != m.ID {
			t.Errorf("console lookup of %s failed", m.Name)
		}
	}
	for _, m := range c.WithRole(bot.RoleObserver) {
		if !m.IsObserver() {
			t.Errorf("%s should be an observer only", m.Name)
		}
	}
}

func TestSampleIsFresh(t *testing.T) {
	a, b := Sample(), Sample()
	a.Roster[0].Name = "改过"
	a.Groups[0].Name = "改过"
	if b.Roster[0].Name == "改过" || b.Groups[0].Name == "改过" {
		t.Error("Sample returns shared state")
	}
	y := SampleYAML()
	y[0] = '!'
	if bytes.Equal(y, SampleYAML()) {
		t.Error("SampleYAML returns the embedded slice itself")
	}
	if _, err := Parse("houchen.yaml", SampleYAML()); err != nil {
		t.Errorf("SampleYAML does not parse: %v", err)
	}
}
