package flows_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/flows"
	"github.com/yishi-community/yishi/storage/memstore"
)

// sharedStore is a memstore standing for a store several processes share.
type sharedStore struct{ *memstore.Store }

func (s sharedStore) EnqueueFenced(_ string, _ []string, b []bot.KV) (func(context.Context) error, error) {
	err := s.Commit(context.Background(), b)
	return func(context.Context) error { return err }, nil
}

type pinnedClock struct{ t time.Time }

func (c pinnedClock) Now() time.Time { return c.t }

// twoVillages is the sample village and a copy of it under another id,
// with groups of their own.
func twoVillages() (x, z *config.Community) {
	x, z = config.Sample(), config.Sample()
	z.ID = "zcun"
	for i := range z.Groups {
		z.Groups[i].Chat += "-z"
	}
	return x, z
}

// serving opens holder's engine on the shared store and adopts the
// community serve ("" : none yet).
func serving(t *testing.T, st bot.Store, now time.Time, holder, serve string, comms ...*config.Community) (*engine.Engine, *flows.Bot) {
	t.Helper()
	ctx := context.Background()
	e, err := engine.Open(ctx, engine.Options{Store: st, Communities: comms, Clock: pinnedClock{now}, Holder: holder, Node: holder})
	if err != nil {
		t.Fatal(err)
	}
	if serve != "" {
		if err := e.Adopt(ctx, serve); err != nil {
			t.Fatal(err)
		}
	}
	return e, flows.New(flows.Options{Engine: e})
}

// An expired bind code present in two communities served by different
// processes is answered, not passed back and forth between them.
func TestExpiredBindCodeNotRelayedInCircles(t *testing.T) {
	ctx := context.Background()
	st := sharedStore{memstore.New()}
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	x, z := twoVillages()
	expired := `{"code":"123456","member":"` + x.Roster[0].ID + `","expires":"2026-01-01T00:00:00Z"}`
	st.Commit(ctx, []bot.KV{{Key: []byte("bindcode/" + x.ID + "/123456"), Value: []byte(expired)},
		{Key: []byte("bindcode/" + z.ID + "/123456"), Value: []byte(strings.Replace(expired, x.Roster[0].ID, z.Roster[0].ID, 1))}})
	ea, fa := serving(t, st, now, "a", z.ID, x, z)
	eb, fb := serving(t, st, now, "b", x.ID, x, z)
	if err := fa.Handle(ctx, bot.Incoming{Platform: "telegram", ID: "u1", Chat: "555", Sender: "555", Private: true, Text: "绑定 123456"}); err != nil {
		t.Fatal(err)
	}
	hops := 0
	for i := 0; i < 20; i++ {
		for _, p := range []struct {
			e *engine.Engine
			f *flows.Bot
		}{{eb, fb}, {ea, fa}} {
			rs, err := p.e.Inbox()
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				hops++
				if err := p.f.HandleRelayed(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if hops > 1 {
		t.Errorf("an expired bind code known in two communities on different processes was relayed %d times; the sender got no answer", hops)
	}
	if ea.OutboxLen()+eb.OutboxLen() == 0 {
		t.Error("the sender of the expired code got no answer")
	}
}

// A member of two communities served by different processes is served by
// the first configured one, whichever process reads their private message.
func TestMemberOfTwoCommunitiesGoesToTheFirst(t *testing.T) {
	ctx := context.Background()
	st := sharedStore{memstore.New()}
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	x, z := twoVillages()
	ea, fa := serving(t, st, now, "a", z.ID, x, z) // serves the second
	eb, _ := serving(t, st, now, "b", x.ID, x, z)  // serves the first
	who := x.Roster[0]
	var id string
	for _, v := range who.Identities {
		id = v
	}
	if id == "" {
		t.Fatalf("member %s has no identity in the sample", who.ID)
	}
	platform := ""
	for p := range who.Identities {
		platform = p
	}
	if err := fa.Handle(ctx, bot.Incoming{Platform: platform, ID: "u1", Chat: id, Sender: id, Private: true, Text: "议题"}); err != nil {
		t.Fatal(err)
	}
	rs, err := eb.Inbox()
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Community != x.ID {
		t.Fatalf("relayed to the first community's holder: %+v; want one entry for %s", rs, x.ID)
	}
	if n := ea.OutboxLen(); n != 0 {
		t.Errorf("the process serving the second community answered (%d messages) instead of relaying", n)
	}
}

// A community adopted with relayed messages still in its inbox takes the
// messages read directly for it behind them, so one chat keeps its order;
// once the inbox is empty it takes them directly again.
func TestAdoptedCommunityKeepsOrderBehindItsInbox(t *testing.T) {
	ctx := context.Background()
	st := sharedStore{memstore.New()}
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	x := config.Sample()
	g := x.Groups[0]
	var sender string
	for _, m := range x.Roster {
		if id := m.Identities[g.Platform]; id != "" {
			sender = id
			break
		}
	}
	if sender == "" {
		t.Fatalf("no member of the sample has a %s identity", g.Platform)
	}
	in := func(id, text string) bot.Incoming {
		return bot.Incoming{Platform: g.Platform, ID: id, Chat: g.Chat, Sender: sender, Text: text}
	}
	// b serves nothing yet: the first message is relayed to the inbox.
	_, fb := serving(t, st, now, "b", "", x)
	if err := fb.Handle(ctx, in("u1", "帮助")); err != nil {
		t.Fatal(err)
	}
	// a adopts the community; a message read directly now goes behind u1.
	ea, fa := serving(t, st, now, "a", x.ID, x)
	if err := fa.Handle(ctx, in("u2", "议题")); err != nil {
		t.Fatal(err)
	}
	rs, err := ea.Inbox()
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].In.ID != "u1" || rs[1].In.ID != "u2" {
		t.Fatalf("inbox while draining: %+v; want u1 then u2", rs)
	}
	if n := ea.OutboxLen(); n != 0 {
		t.Fatalf("u2 was answered (%d messages) before u1", n)
	}
	for _, r := range rs {
		if err := fa.HandleRelayed(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	ea.Drained(x.ID)
	before := ea.OutboxLen()
	if err := fa.Handle(ctx, in("u3", "议题")); err != nil {
		t.Fatal(err)
	}
	if rs, _ := ea.Inbox(); len(rs) != 0 || ea.OutboxLen() == before {
		t.Fatalf("after the inbox emptied, u3 was not handled directly (inbox %d, outbox %d → %d)", len(rs), before, ea.OutboxLen())
	}
}
