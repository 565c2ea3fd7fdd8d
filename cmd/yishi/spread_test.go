package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestThousandCommunitiesThreeProcesses: three processes on one database
// with 1,000 communities configured: every community ends up served by
// exactly one of them (what each says it serves and has handed over,
// against the lease table), and they spread evenly: whichever process
// finishes starting first takes everything, then hands over what is
// beyond its share as the others appear.
func TestThousandCommunitiesThreeProcesses(t *testing.T) {
	base := pgBase(t)
	if testing.Short() {
		t.Skip("builds and runs three processes")
	}
	const communities, processes = 1000, 3
	bin := buildBinary(t)
	cfg := villageConfigs(t, "v%04d", 0, communities-1)
	dsn := pgSchema(t, base)
	served := regexp.MustCompile(`community (served by this process|handed over to another process).* community=(v\d{4})`)
	var mu sync.Mutex
	by := map[string]map[int]bool{} // community → processes that serve it now, by what they said
	for p := range processes {
		cmd := exec.Command(bin, "run", "--config", cfg, "--store", dsn, "--data", filepath.Join(t.TempDir(), "d"), "--node", fmt.Sprintf("p%d", p))
		cmd.Env = append(os.Environ(), "YISHI_LOG=info")
		stdin, _ := cmd.StdinPipe()
		stderr, _ := cmd.StderrPipe()
		cmd.Stdout = io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() })
		go func() {
			sc := bufio.NewScanner(stderr)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				if g := served.FindStringSubmatch(sc.Text()); g != nil {
					mu.Lock()
					if by[g[2]] == nil {
						by[g[2]] = map[int]bool{}
					}
					by[g[2]][p] = strings.HasPrefix(g[1], "served")
					if !by[g[2]][p] {
						delete(by[g[2]], p)
					}
					mu.Unlock()
				}
			}
		}()
	}
	share := (communities + processes - 1) / processes
	// settled: every community served by one process, none above its share.
	settled := func() (bool, []int) {
		mu.Lock()
		defer mu.Unlock()
		per := make([]int, processes)
		ok := len(by) == communities
		for _, ps := range by {
			if len(ps) != 1 {
				ok = false
			}
			for p := range ps {
				per[p]++
			}
		}
		for _, n := range per {
			ok = ok && n <= share
		}
		return ok, per
	}
	deadline := time.Now().Add(240 * time.Second) // each process builds 1,000 screeners first (about 40 s alone)
	for {
		ok, per := settled()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 240 s the communities are not spread, one process each and at most %d per process: served per process %v", share, per)
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // a late second claim would show now
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, `SELECT name, holder FROM yishi_leases WHERE expires > now() AND name LIKE 'community/%'`)
	holders, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]string, error) {
		var v [2]string
		return v, r.Scan(&v[0], &v[1])
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(holders) != communities {
		t.Errorf("%d community leases held, want %d", len(holders), communities)
	}
	perHolder := map[string]int{}
	for _, h := range holders {
		perHolder[h[1]]++
	}
	if ok, per := settled(); !ok {
		t.Errorf("the spread did not hold: served per process %v", per)
	}
	mu.Lock()
	defer mu.Unlock()
	perProcess := make([]int, processes)
	for c, ps := range by {
		if len(ps) != 1 {
			t.Errorf("community %s served by processes %v", c, ps)
		}
		for p := range ps {
			perProcess[p]++
			if h := holderOf(holders, c); !strings.HasPrefix(h, fmt.Sprintf("p%d/", p)) {
				t.Errorf("community %s served by p%d, its lease held by %q", c, p, h)
			}
		}
	}
	var counts []string
	for h, n := range perHolder {
		counts = append(counts, fmt.Sprintf("%s:%d", strings.SplitN(h, "/", 2)[0], n))
	}
	t.Logf("served per process %v; leases per holder %v", perProcess, counts)
}

func holderOf(rows [][2]string, community string) string {
	for _, r := range rows {
		if r[0] == "community/"+community {
			return r[1]
		}
	}
	return ""
}

// villageConfigs writes a configuration directory of small villages
// numbered from to to (id after idFormat; console group 群N, a secretary,
// a supervisor and a resident 村民N each) and returns it.
func villageConfigs(t *testing.T, idFormat string, from, to int) string {
	t.Helper()
	dir := t.TempDir()
	for i := from; i <= to; i++ {
		id := fmt.Sprintf(idFormat, i)
		y := fmt.Sprintf("id: %s\nname: 第%d村\ngroups:\n  - {name: 群%d, platform: console, chat: 群%d}\nroster:\n  - {id: shuji, name: 书记%d, roles: [secretary]}\n  - {id: jw, name: 监委%d, roles: [supervisor]}\n  - {id: r1, name: 村民%d, roles: [resident]}\n", id, i, i, i, i, i, i)
		if err := os.WriteFile(filepath.Join(dir, id+".yaml"), []byte(y), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
