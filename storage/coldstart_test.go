package storage_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/cmd/yishi/app"
	"github.com/yishi-community/yishi/storage"
)

// The cold start: open the data directory and rebuild what is kept in
// memory, with 1,000 topics and 100,000 votes stored. Measured in a fresh
// child process so that its peak RSS is its own; the baseline, in the same
// run, is a child that only opens badger and reads every key.

const (
	coldTopics = 1000
	coldVoters = 100
)

func populate(b *testing.B, dir string) {
	b.Helper()
	ctx := context.Background()
	db, err := storage.Open(dir, storage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	comm := voteCommunity(b, coldVoters)
	e, err := engine.Open(ctx, engine.Options{Store: db, Communities: []*config.Community{comm}})
	if err != nil {
		b.Fatal(err)
	}
	var sec, rec, sup *bot.Member
	var voters []*bot.Member
	var ids []string
	e.Read(func(tx *engine.Tx) {
		sec, _ = tx.FindMember("bench", "书记")
		rec, _ = tx.FindMember("bench", "委员")
		sup, _ = tx.FindMember("bench", "监委")
	})
	for i := range comm.Roster {
		if comm.Roster[i].Has(bot.RoleRepresentative) {
			voters = append(voters, &comm.Roster[i])
			ids = append(ids, comm.Roster[i].ID)
		}
	}
	for n := 0; n < coldTopics; n++ {
		var id string
		step := func(fn func(tx *engine.Tx) error) {
			if _, err := e.Do(ctx, "", fn); err != nil {
				b.Fatal(err)
			}
		}
		step(func(tx *engine.Tx) error {
			t, err := tx.Propose("bench", voters[n%len(voters)], engine.Draft{Title: fmt.Sprintf("议题%d安装路灯", n), Content: "村道晚上很黑，希望安装路灯。", Affected: "全体村民", Channel: bot.ChannelSelf}, bot.Screening{Verdict: "admissible"})
			if err != nil {
				return err
			}
			id = t.ID
			if _, err := tx.Approve("bench", id, sec, engine.Approval{Category: 1, Participants: ids, Chair: sec.ID, Recorder: rec.ID, Supervisor: sup.ID}); err != nil {
				return err
			}
			if _, err := tx.SetPlan("bench", id, sec, bot.Plan{Time: tx.Now().Add(time.Hour), Place: "村委会", Form: bot.FormOnSite}); err != nil {
				return err
			}
			_, err = tx.OpenMeeting("bench", id, sec)
			return err
		})
		step(func(tx *engine.Tx) error {
			for _, v := range voters {
				if _, _, err := tx.CheckIn("bench", id, v); err != nil {
					return err
				}
			}
			_, err := tx.OpenVote("bench", id, sec, "")
			return err
		})
		step(func(tx *engine.Tx) error {
			for i, v := range voters {
				if _, err := tx.CastVote("bench", id, v, []bot.Choice{bot.ChoiceFor, bot.ChoiceAgainst, bot.ChoiceAbstain}[i%3], false); err != nil {
					return err
				}
			}
			return nil
		})
		// The notices were delivered, as the dispatcher would have done.
		var seqs []uint64
		for _, o := range e.OutboxReady(time.Now().Add(time.Hour), 1<<20) {
			seqs = append(seqs, o.Seq)
		}
		if err := e.OutboxDone(ctx, seqs...); err != nil {
			b.Fatal(err)
		}
	}
}

// TestColdStartChild runs only inside BenchmarkColdStart's child process.
func TestColdStartChild(t *testing.T) {
	dir, mode := os.Getenv("YISHI_COLD_DIR"), os.Getenv("YISHI_COLD_MODE")
	if dir == "" {
		t.Skip("child process of BenchmarkColdStart")
	}
	debug.SetMemoryLimit(64 << 20) // as cmd/yishi does
	if prof := os.Getenv("YISHI_COLD_PROF"); prof != "" && mode == os.Getenv("YISHI_COLD_PROF_MODE") {
		f, err := os.Create(prof)
		if err != nil {
			t.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	switch mode {
	case "engine":
		a, err := app.Open(context.Background(), app.Options{DataDir: dir, Communities: []*config.Community{voteCommunity(t, coldVoters)}})
		if err != nil {
			t.Fatal(err)
		}
		var votes int
		a.Engine.Read(func(tx *engine.Tx) {
			for _, tp := range tx.Topics("bench") {
				votes += tx.Tally("bench", tp).Voted()
			}
		})
		fmt.Printf("COLD ms=%d votes=%d\n", time.Since(start).Milliseconds(), votes)
		a.Close()
	case "verify":
		debug.SetMemoryLimit(1 << 30) // as yishi audit verify does
		db, err := storage.Open(dir, storage.Options{})
		if err != nil {
			t.Fatal(err)
		}
		rs, err := engine.VerifyReplay(db, []*config.Community{voteCommunity(t, coldVoters)}, "")
		if err != nil || len(rs) != 1 || rs[0].Failed != nil || rs[0].Diverged != nil {
			t.Fatalf("verify: %v %+v", err, rs)
		}
		fmt.Printf("COLD ms=%d events=%d\n", time.Since(start).Milliseconds(), rs[0].Events)
		db.Close()
	case "scan":
		db, err := storage.Open(dir, storage.Options{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		db.Scan(nil, func(k, v []byte) (bool, error) { n++; return true, nil })
		fmt.Printf("COLD ms=%d keys=%d\n", time.Since(start).Milliseconds(), n)
		db.Close()
	}
	status, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			fmt.Println("COLD hwm_kb=" + strings.TrimSuffix(strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:")), " kB"))
		}
	}
}

func coldChild(b *testing.B, dir, mode string) (ms, hwmMB float64) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestColdStartChild$", "-test.v")
	cmd.Env = append(os.Environ(), "YISHI_COLD_DIR="+dir, "YISHI_COLD_MODE="+mode)
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("child: %v\n%s", err, out)
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		for _, f := range strings.Fields(sc.Text()) {
			k, v, ok := strings.Cut(f, "=")
			if !ok {
				continue
			}
			n, _ := strconv.ParseFloat(v, 64)
			switch k {
			case "ms":
				ms = n
			case "hwm_kb":
				hwmMB = n / 1024
			case "votes":
				if int(n) != coldTopics*coldVoters {
					b.Fatalf("cold start counted %d votes, want %d", int(n), coldTopics*coldVoters)
				}
			}
		}
	}
	return ms, hwmMB
}

// BenchmarkColdStart: go test ./storage -run XXX -bench ColdStart -benchtime 1x
func BenchmarkColdStart(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "data")
	if keep := os.Getenv("YISHI_COLD_DATA"); keep != "" {
		dir = keep // kept between runs: populated once, when missing
	}
	t0 := time.Now()
	if _, err := os.Stat(dir); err != nil {
		populate(b, dir)
	}
	b.Logf("populated %d topics, %d votes in %s", coldTopics, coldTopics*coldVoters, time.Since(t0).Round(time.Millisecond))
	b.ResetTimer()
	var ems, emb, sms, smb, vms, vmb float64
	for range b.N {
		ems, emb = coldChild(b, dir, "engine")
		sms, smb = coldChild(b, dir, "scan")
		vms, vmb = coldChild(b, dir, "verify")
	}
	b.ReportMetric(vms, "verify-replay-ms")
	b.ReportMetric(vmb, "verify-peakRSS-MB")
	b.ReportMetric(ems, "coldstart-ms")
	b.ReportMetric(emb, "coldstart-peakRSS-MB")
	b.ReportMetric(sms, "scan-baseline-ms")
	b.ReportMetric(smb, "scan-baseline-peakRSS-MB")
	b.ReportMetric(ems/max(sms, 1), "x-baseline-time")
}
