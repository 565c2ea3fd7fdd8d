package telegram

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/yishi-community/yishi/bot"
)

// state is what the adapter persists about the platform (never domain
// state): the polling offset, chat aliases after a supergroup migration,
// the ids of keyed messages it may edit, and the groups told about privacy
// mode. Keys live under telegram/…/<bot id>/.
type state struct {
	store bot.Store
	botID string

	mu  sync.RWMutex
	fwd map[int64]int64 // original chat id → current chat id
	rev map[int64]int64 // current chat id → original chat id
}

func newState(ctx context.Context, store bot.Store, botID string) (*state, error) {
	s := &state{store: store, botID: botID, fwd: map[int64]int64{}, rev: map[int64]int64{}}
	prefix := []byte("telegram/alias/" + botID + "/")
	err := store.Scan(prefix, func(k, v []byte) (bool, error) {
		from, err1 := strconv.ParseInt(strings.TrimPrefix(string(k), string(prefix)), 10, 64)
		to, err2 := strconv.ParseInt(string(v), 10, 64)
		if err1 != nil || err2 != nil {
			return false, fmt.Errorf("bad alias record %q=%q", k, v)
		}
		s.setAlias(from, to)
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("telegram: load chat aliases: %w", err)
	}
	return s, nil
}

func (s *state) key(kind string, parts ...string) []byte {
	k := "telegram/" + kind + "/" + s.botID
	for _, p := range parts {
		k += "/" + p
	}
	return []byte(k)
}

func (s *state) setAlias(from, to int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	orig := from
	if o, ok := s.rev[from]; ok { // a chain: keep the first id
		orig = o
	}
	s.fwd[orig] = to
	delete(s.rev, from)
	s.rev[to] = orig
}

// addAlias records that chat from is now chat to, durably.
func (s *state) addAlias(ctx context.Context, from, to int64) error {
	if from == 0 || to == 0 || from == to {
		return nil
	}
	s.mu.RLock()
	known := s.fwd[s.originalLocked(from)] == to
	s.mu.RUnlock()
	if known {
		return nil
	}
	s.mu.RLock()
	orig := s.originalLocked(from)
	s.mu.RUnlock()
	if err := s.store.Commit(ctx, []bot.KV{{Key: s.key("alias", strconv.FormatInt(orig, 10)), Value: []byte(strconv.FormatInt(to, 10))}}); err != nil {
		return fmt.Errorf("telegram: save chat alias: %w", err)
	}
	s.setAlias(from, to)
	return nil
}

func (s *state) originalLocked(chat int64) int64 {
	if o, ok := s.rev[chat]; ok {
		return o
	}
	return chat
}

// original maps a current chat id to the id the community knows.
func (s *state) original(chat int64) int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.originalLocked(chat)
}

// current maps a configured chat id to where messages go now.
func (s *state) current(chat int64) int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if c, ok := s.fwd[chat]; ok {
		return c
	}
	return chat
}

func (s *state) offset() (int64, error) {
	v, err := s.store.Get(s.key("offset"))
	if err != nil || v == nil {
		return 0, err
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad offset record %q: %w", v, err)
	}
	return n, nil
}

func (s *state) saveOffset(ctx context.Context, id int64) error {
	return s.store.Commit(ctx, []bot.KV{{Key: s.key("offset"), Value: []byte(strconv.FormatInt(id, 10))}})
}

// sent is the record of a keyed message, to edit it later.
type sent struct {
	Chat int64  `json:"chat"`
	ID   int    `json:"id"`
	Sum  string `json:"sum"` // text and buttons last sent, to skip no-op edits
}

func (s *state) keyed(chat int64, key string) (*sent, error) {
	v, err := s.store.Get(s.key("msg", strconv.FormatInt(chat, 10), key))
	if err != nil || v == nil {
		return nil, err
	}
	var r sent
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("bad message record: %w", err)
	}
	return &r, nil
}

func (s *state) saveKeyed(ctx context.Context, chat int64, key string, r sent) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return s.store.Commit(ctx, []bot.KV{{Key: s.key("msg", strconv.FormatInt(chat, 10), key), Value: v}})
}

func (s *state) noticed(chat int64) bool {
	v, err := s.store.Get(s.key("notice", strconv.FormatInt(chat, 10)))
	return err == nil && v != nil
}

func (s *state) markNoticed(ctx context.Context, chat int64) error {
	return s.store.Commit(ctx, []bot.KV{{Key: s.key("notice", strconv.FormatInt(chat, 10)), Value: []byte("1")}})
}
