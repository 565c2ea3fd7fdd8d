package flows_test

import (
	"context"
	"strings"
	"testing"
)

// runWithReminders plays a script like harness.run, and also understands
//
//	@remind   run the reminder scheduler once at the current fake time and
//	          deliver what it queued
func (h *harness) runWithReminders(script string) string {
	h.t.Helper()
	var out, chunk strings.Builder
	for _, line := range strings.SplitAfter(script, "\n") {
		if strings.TrimSpace(line) != "@remind" {
			chunk.WriteString(line)
			continue
		}
		out.WriteString(h.run(chunk.String()))
		chunk.Reset()
		ctx := context.Background()
		rep, err := h.app.Reminders.RunDue(ctx)
		if err != nil {
			h.t.Fatalf("reminder run: %v", err)
		}
		h.app.Flush(ctx)
		out.WriteString("@remind (" + h.clock.Now().Format("2006-01-02 15:04") + ")：汇总" + itoa(rep.Digests) + "，责任人" + itoa(rep.Owners) + "，升级" + itoa(rep.Escalations) + "，会议" + itoa(rep.Meetings) + "\n")
		out.WriteString(h.out.String())
		h.out.Reset()
	}
	out.WriteString(h.run(chunk.String()))
	return out.String()
}

// TestFollowUpScript plays the whole follow-up of an agreed topic with
// scheduled reminders (golden: testdata/followup.golden).
func TestFollowUpScript(t *testing.T) {
	h := newHarness(t)
	h.run(readScript(t, "prelude.script"))
	golden(t, "followup.golden", h.runWithReminders(readScript(t, "followup.script")))
}
