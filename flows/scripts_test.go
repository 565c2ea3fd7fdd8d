package flows_test

import (
	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/engine"
	"strings"
	"testing"
)

// TestScripts plays the console scripts in testdata/ and compares the
// transcripts with their golden files (go test ./flows -update rewrites them).
func TestScripts(t *testing.T) {
	prelude := readScript(t, "prelude.script")
	for _, tc := range []struct {
		name        string
		withPrelude bool
	}{
		{"bad_input", false},
		{"review", false},
		{"secret", true},
		{"vote", true},
		{"room", true},
		{"objections", true}, // P9 acceptance (c)
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			if tc.withPrelude {
				h.run(prelude)
			}
			golden(t, tc.name+".golden", h.run(readScript(t, tc.name+".script")))
		})
	}
}

// TestLongAndOddMessages: a 10,000-character message, emoji only and a
// message of spaces get clear answers and change nothing.
func TestLongAndOddMessages(t *testing.T) {
	h := newHarness(t)
	long := strings.Repeat("很", 10000)
	out := h.run("[私聊] 陈小龙: 提议\n[私聊] 陈小龙: " + long + "\n[私聊] 陈小龙: 🙂🙂\n[私聊] 陈小龙:    \n")
	for _, want := range []string{"标题太长了(10000个字，最多50个字)", "收到一条空消息或只有表情的消息"} {
		if !strings.Contains(out, want) {
			t.Errorf("transcript lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "[私聊→陈小龙]"); n != 4 {
		t.Errorf("want one answer per message (4), got %d:\n%s", n, out)
	}
}

// TestRecusalAndCoolingOff: with recusal on, a stakeholder named at
// approval speaks but does not vote and is not counted; a failed topic may
// be held again only after the cooling-off period.
func TestRecusalAndCoolingOff(t *testing.T) {
	c, err := config.Parse("houchen.yaml", append(config.SampleYAML(), []byte("\nrecusal: true\ncooling_off_days: 30\n")...))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, c)
	got := h.run(readScript(t, "recusal.script"))
	golden(t, "recusal.golden", got)
	for _, want := range []string{"利益相关方回避", "须在表决后满30天", "利益相关方回避表决"} {
		if !strings.Contains(got, want) {
			t.Errorf("transcript lacks %q", want)
		}
	}
}

// TestAssemblyScript is acceptance (b) of P9: a 村民会议 of 300 adults and
// 120 households, counted by headcount in the room with 现场计票: first
// without its quorum (the chair's reason, no decision recorded), then, held
// again, by households with it.
func TestAssemblyScript(t *testing.T) {
	yaml := strings.Replace(string(config.SampleYAML()), "\neligible: 0", "\neligible: {adults: 300, households: 120}", 1)
	c, err := config.Parse("houchen.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	if c.EligibleFor(bot.BasisHouseholds) != 120 {
		t.Fatal("the sample's eligible line was not replaced")
	}
	h := newHarness(t, c)
	h.run(readScript(t, "prelude.script"))
	got := h.run(readScript(t, "assembly.script"))
	golden(t, "assembly.golden", got)
	// The headcounts and room counts are events: the log alone rebuilds
	// both rounds exactly as stored.
	rs, err := engine.VerifyReplay(h.app.Store, h.comms, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Failed != nil || r.Diverged != nil || r.Rounds != 2 {
			t.Errorf("replay of %s: failed %v, diverged %+v, %d rounds (want 2)", r.Community, r.Failed, r.Diverged, r.Rounds)
		}
	}
}
