package app

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/yishi-community/yishi/bot/engine"
)

// relayEvery is how often a process sharing the store looks for messages
// other processes relayed to the communities it serves (engine.Relayed):
// one read of the database per poll, whatever the number of communities.
const relayEvery = 250 * time.Millisecond

// relayWorkers bounds the chats whose relayed messages are handled at once.
const relayWorkers = 16

// relayLoop handles the relayed messages of the communities served here
// until ctx ends. A message that fails stays in the inbox and is tried at
// the next poll; each chat's messages are handled in arrival order.
func (a *App) relayLoop(ctx context.Context) {
	every(ctx, relayEvery, func() {
		if a.checkSpace(ctx) != nil {
			return // they wait in the inbox until space is back
		}
		entries, err := a.Engine.Inbox()
		if err != nil {
			a.log.Error("read relayed messages", "err", err)
			return
		}
		a.handleRelayed(ctx, entries)
		if d := a.Engine.DrainingCommunities(); len(d) > 0 {
			a.Engine.Drained(d...) // those whose inbox is empty now take messages directly again
		}
	})
}

// handleRelayed handles one poll's entries: chats in parallel, each chat's
// messages one after the other.
func (a *App) handleRelayed(ctx context.Context, entries []engine.Relayed) {
	if len(entries) == 0 {
		return
	}
	var order []string
	byChat := map[string][]engine.Relayed{}
	for _, r := range entries {
		k := r.In.Platform + "/" + r.In.Chat
		if byChat[k] == nil {
			order = append(order, k)
		}
		byChat[k] = append(byChat[k], r)
	}
	sem := make(chan struct{}, relayWorkers)
	var wg sync.WaitGroup
	for _, k := range order {
		sem <- struct{}{}
		wg.Add(1)
		go func(rs []engine.Relayed) {
			defer func() { <-sem; wg.Done() }()
			for _, r := range rs {
				if ctx.Err() != nil {
					return
				}
				if err := a.Flows.HandleRelayed(ctx, r); err != nil {
					// Kept: the next poll tries it again (after the
					// rest of this chat, so its order holds).
					a.log.Error("handle a relayed message; kept for the next try", "key", r.Key, "community", r.Community, "err", err)
					return
				}
			}
		}(byChat[k])
	}
	wg.Wait()
}

// gatewayLoop sends, every relayEvery, what other processes handed to this
// one for the platforms whose turn it holds (gateway.go). Apart from the
// relay loop: a long backlog of messages to send must not hold up the
// messages residents sent.
func (a *App) gatewayLoop(ctx context.Context) {
	every(ctx, relayEvery, func() { a.sendHandedOver(ctx) })
}

// drainInbox handles, right after a community is adopted, the messages
// relayed to it before, until its inbox is empty; meanwhile what arrives
// directly for it is relayed behind them (engine draining), so one chat
// keeps its order. The relay loop finishes the job if this is cut short.
func (a *App) drainInbox(ctx context.Context, comm string) {
	for round := 0; round < 100 && ctx.Err() == nil; round++ { // bounded: a failing entry must not spin here

		entries, err := a.Engine.Inbox()
		if err != nil {
			a.log.Error("read relayed messages", "err", err)
			return
		}
		mine := entries[:0]
		for _, r := range entries {
			if r.Community == comm {
				mine = append(mine, r)
			}
		}
		a.handleRelayed(ctx, mine)
		a.Engine.Drained(comm)
		if !slices.Contains(a.Engine.DrainingCommunities(), comm) {
			return
		}
		if len(mine) == 0 {
			return // an entry that cannot be handled now: the relay loop keeps trying
		}
	}
}
