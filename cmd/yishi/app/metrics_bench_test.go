package app_test

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yishi-community/yishi/adapters/console"
	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/cmd/yishi/app"
	"github.com/yishi-community/yishi/cmd/yishi/app/metrics"
)

// BenchmarkVoteAck is a vote's acknowledgement path (app.Handle: flows,
// engine, durable commit, receipt queued) with metrics on and off,
// interleaved in one run so that the ratio is what counts. Each iteration
// changes one member's vote, which keeps the vote open.
//
//	go test ./cmd/yishi/app -run XXX -bench VoteAck -benchtime 2s
func BenchmarkVoteAck(b *testing.B) {
	for range 3 {
		b.Run("off", func(b *testing.B) { benchVoteAck(b, nil) })
		b.Run("on", func(b *testing.B) { benchVoteAck(b, metrics.New()) })
	}
}

func benchVoteAck(b *testing.B, m *metrics.Metrics) {
	con := console.New(console.Options{In: strings.NewReader(""), Out: io.Discard})
	a, err := app.Open(context.Background(), app.Options{DataDir: filepath.Join(b.TempDir(), "d"),
		Communities: []*config.Community{config.Sample()}, Adapters: []bot.Adapter{con},
		Clock: fixedClock{demoMorning}, Metrics: m})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	playDemoUntilVote(b, a)
	choices := [2]string{"赞成", "反对"}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		vote(b, a, "陈小龙", choices[i%2])
		if i%64 == 63 {
			b.StopTimer()
			a.Flush(context.Background()) // keep the outbox from growing through the run
			b.StartTimer()
		}
	}
}

// BenchmarkObserve is what metrics add to one vote: counting its
// observation (the engine's Observe hook).
func BenchmarkObserve(b *testing.B) {
	m := metrics.New()
	o := voteObservation()
	for b.Loop() {
		m.Action(o)
	}
}

func voteObservation() engine.Observation {
	return engine.Observation{Events: []engine.Kind{engine.KindVoteCast}, Elapsed: 2 * time.Millisecond}
}
