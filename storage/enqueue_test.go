package storage

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/yishi-community/yishi/bot"
)

func TestEnqueueOrderAndWait(t *testing.T) {
	db := openTest(t, "", Options{})
	entered, release := blockCommits(db)
	first, err := db.Enqueue([]bot.KV{kv("first", "1")})
	if err != nil {
		t.Fatal(err)
	}
	<-entered
	// Enqueue returns with the batch already in line: the order is the
	// order of the calls, with no waiting in between.
	var waits []func(context.Context) error
	for i := range 10 {
		w, err := db.Enqueue([]bot.KV{kv("k", fmt.Sprint(i))})
		if err != nil {
			t.Fatal(err)
		}
		waits = append(waits, w)
	}
	// A wait whose ctx ends first does not withdraw the batch.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := waits[9](ctx); !errors.Is(err, ErrMaybeCommitted) {
		t.Errorf("wait(cancelled) = %v, want ErrMaybeCommitted", err)
	}
	release()
	for _, w := range append(waits, first) {
		if err := w(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if err := waits[0](context.Background()); err != nil {
		t.Errorf("second wait = %v", err)
	}
	if v := mustGet(t, db, "k"); string(v) != "9" {
		t.Errorf("k = %q, want the last enqueued value", v)
	}

	if w, err := db.Enqueue(nil); err != nil || w(context.Background()) != nil {
		t.Errorf("empty Enqueue = %v", err)
	}
	if _, err := db.Enqueue([]bot.KV{{Value: []byte("x")}}); !errors.Is(err, ErrInvalidBatch) {
		t.Errorf("invalid Enqueue = %v", err)
	}
}

func TestEnqueueFailedAndClosed(t *testing.T) {
	db := openTest(t, "", Options{})
	db.commitFault = func() error { return errors.New("io error") }
	w, err := db.Enqueue([]bot.KV{kv("a", "1")})
	if err != nil {
		t.Fatal(err)
	}
	if err := w(context.Background()); !errors.Is(err, ErrFailed) {
		t.Errorf("wait = %v, want ErrFailed", err)
	}
	if _, err := db.Enqueue([]bot.KV{kv("b", "1")}); !errors.Is(err, ErrFailed) {
		t.Errorf("Enqueue after failure = %v, want ErrFailed", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Enqueue([]bot.KV{kv("c", "1")}); !errors.Is(err, ErrClosed) {
		t.Errorf("Enqueue after Close = %v, want ErrClosed", err)
	}
}
