package engine

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
)

// Tx is the handle an action runs with inside Engine.Do. It is only valid
// during the callback.
type Tx struct {
	e        *Engine
	now      time.Time
	batch    []bot.KV
	sent     []outboxEntry
	readOnly bool
	// dirty: topics whose snapshot is written at commit (emit.go).
	dirty map[*community]map[string]bool
	// drops: prefixes to erase once the batch is on disk (secret.go).
	drops []string
	// kinds and refusals: what this unit of work recorded and refused, for
	// the observer (observe.go); kept only when there is one.
	kinds    []Kind
	refusals []string
	// fences: leases of the communities whose events this unit recorded
	// (with Engine.Holder, the write is refused unless they are still ours).
	fences []string
}

// Now is the time of this unit of work.
func (tx *Tx) Now() time.Time { return tx.now }

func (tx *Tx) put(key, value []byte) {
	if tx.readOnly {
		panic("engine: write in a read-only transaction")
	}
	tx.batch = append(tx.batch, bot.KV{Key: key, Value: value})
}

func (tx *Tx) putJSON(key []byte, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("engine: marshal %s: %v", key, err)) // our own types always marshal
	}
	tx.put(key, b)
}

// Community returns a community by id.
func (tx *Tx) Community(id string) *config.Community {
	if c := tx.e.comms[id]; c != nil {
		return c.cfg
	}
	return nil
}

// Communities lists the configured communities in config order.
func (tx *Tx) Communities() []*config.Community { return tx.e.served() }

// GroupCommunity finds the community and group that a platform chat belongs to.
func (tx *Tx) GroupCommunity(platform, chat string) (*config.Community, *config.Group) {
	for _, id := range tx.e.order {
		c := tx.e.comms[id].cfg
		if g := c.GroupByChat(platform, chat); g != nil {
			return c, g
		}
	}
	return nil, nil
}

// GroupServedElsewhere finds the configured community of a platform chat
// when another process serves it (Engine.Holder), or nil.
func (tx *Tx) GroupServedElsewhere(platform, chat string) *config.Community {
	for _, id := range tx.e.cfgOrder {
		if c := tx.e.servedElsewhere(id); c != nil && c.GroupByChat(platform, chat) != nil {
			return c
		}
	}
	return nil
}

// MemberServedElsewhere lists the configured communities, served by another
// process, whose roster names this platform identity.
func (tx *Tx) MemberServedElsewhere(platform, identity string) []*config.Community {
	var out []*config.Community
	for _, id := range tx.e.cfgOrder {
		c := tx.e.servedElsewhere(id)
		if c == nil || identity == "" {
			continue
		}
		for _, m := range c.Roster {
			if m.Identities[platform] == identity {
				out = append(out, c)
				break
			}
		}
	}
	if len(out) == 0 {
		// Bound with a code: known to the store's index only.
		for _, id := range tx.e.boundElsewhere(platform, identity) {
			out = append(out, tx.e.configs[id])
		}
	}
	return out
}

// Member resolves a platform identity to a roster member of community comm,
// through codes bound at run time first and the config second.
func (tx *Tx) Member(comm, platform, identity string) *bot.Member {
	c := tx.e.comms[comm]
	if c == nil || identity == "" {
		return nil
	}
	if id, ok := c.bindings[platform+"\x00"+identity]; ok {
		return c.member(id)
	}
	return c.byIdentity[platform+"\x00"+identity]
}

// MemberAnywhere finds the communities in which a platform identity is a
// member (for private chats, which belong to no group).
func (tx *Tx) MemberAnywhere(platform, identity string) (comms []*config.Community, members []*bot.Member) {
	for _, id := range tx.e.order {
		if m := tx.Member(id, platform, identity); m != nil {
			comms = append(comms, tx.e.comms[id].cfg)
			members = append(members, m)
		}
	}
	return comms, members
}

// FirstCommunityOf returns, when several processes share the store, the
// first configured community (config order) whose roster names this
// platform identity, if another process serves it: a member of several
// communities is then always served by the same one, whichever process
// reads their message (as a single process would choose). nil otherwise.
func (tx *Tx) FirstCommunityOf(platform, identity string) *config.Community {
	if tx.e.holder == "" || identity == "" {
		return nil
	}
	ids := tx.e.rosterOf[platform+"\x00"+identity]
	if len(ids) < 2 {
		return nil // one community: the usual routing finds it
	}
	return tx.e.servedElsewhere(ids[0])
}

// Identity returns member's identity on platform ("" if none).
func (tx *Tx) Identity(comm, member, platform string) string {
	c := tx.e.comms[comm]
	if c == nil {
		return ""
	}
	for k, v := range c.bindings {
		if v == member && strings.HasPrefix(k, platform+"\x00") {
			return strings.TrimPrefix(k, platform+"\x00")
		}
	}
	if m := c.member(member); m != nil {
		return m.Identities[platform]
	}
	return ""
}

// Name returns a member's display name (the id itself for unknown ids, so
// named outside stakeholders print as typed).
func (tx *Tx) Name(comm, member string) string {
	if c := tx.e.comms[comm]; c != nil {
		if m := c.member(member); m != nil {
			return m.Name
		}
	}
	return member
}

func (tx *Tx) comm(id string) (*community, error) {
	c := tx.e.comms[id]
	if c == nil {
		return nil, bot.Errorf(bot.ENOTFOUND, "找不到社区 %s。", id)
	}
	return c, nil
}

// Topic returns a topic of a community. Callers must not modify it.
func (tx *Tx) Topic(comm, id string) (*bot.Topic, error) {
	c, err := tx.comm(comm)
	if err != nil {
		return nil, err
	}
	id = strings.TrimPrefix(strings.TrimSpace(id), "#")
	t := c.topics[id]
	if t == nil {
		return nil, bot.Errorf(bot.ENOTFOUND, "没有编号为 #%s 的议题。发「议题」可以查看全部议题。", id)
	}
	return t, nil
}

// Topics lists a community's topics in creation order. Callers must not
// modify them.
func (tx *Tx) Topics(comm string) []*bot.Topic {
	c := tx.e.comms[comm]
	if c == nil {
		return nil
	}
	out := make([]*bot.Topic, 0, len(c.ids))
	for _, id := range c.ids {
		out = append(out, c.topics[id])
	}
	return out
}

// TopicsIn lists a community's topics at one of the stages.
func (tx *Tx) TopicsIn(comm string, stages ...bot.Stage) []*bot.Topic {
	var out []*bot.Topic
	for _, t := range tx.Topics(comm) {
		if slices.Contains(stages, t.Stage) {
			out = append(out, t)
		}
	}
	return out
}

// Conversation returns the persisted conversation of key, or nil.
func (tx *Tx) Conversation(key string) *Conversation {
	if c, ok := tx.e.convs[key]; ok && tx.e.convServed(c) {
		cp := *c
		cp.Values = copyValues(c.Values)
		return &cp
	}
	return nil
}

// SaveConversation persists a conversation (nil ends it).
func (tx *Tx) SaveConversation(key string, c *Conversation) {
	if c == nil {
		if _, ok := tx.e.convs[key]; ok {
			delete(tx.e.convs, key)
			tx.put(convKey(key), nil)
		}
		return
	}
	c.Updated = tx.now
	cp := *c
	cp.Values = copyValues(c.Values)
	tx.e.convs[key] = &cp
	tx.putJSON(convKey(key), &cp)
}

// Conversations lists every persisted conversation with its key.
func (tx *Tx) Conversations() map[string]*Conversation {
	out := make(map[string]*Conversation, len(tx.e.convs))
	for k, c := range tx.e.convs {
		if !tx.e.convServed(c) {
			continue
		}
		cp := *c
		cp.Values = copyValues(c.Values)
		out[k] = &cp
	}
	return out
}

func copyValues(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Conversation is a conversational flow's state as data: the flow, the step
// and the values collected so far. It is persisted on every step so that a
// restart resumes exactly where the person was.
type Conversation struct {
	Flow      string            `json:"flow"`
	Step      string            `json:"step"`
	Community string            `json:"community"`
	Topic     string            `json:"topic,omitempty"`
	Values    map[string]string `json:"values,omitempty"`
	Member    string            `json:"member"`
	Platform  string            `json:"platform"`
	Chat      string            `json:"chat"`
	ChatTitle string            `json:"chat_title,omitempty"`
	Private   bool              `json:"private,omitempty"`
	Started   time.Time         `json:"started"`
	Updated   time.Time         `json:"updated"`
	Paused    bool              `json:"paused,omitempty"` // timed out; kept until 继续 or 取消
}

// Put adds raw writes to this unit of work, for packages that keep their
// own records alongside an action (the decision archive).
func (tx *Tx) Put(kvs ...bot.KV) {
	for _, kv := range kvs {
		tx.put(kv.Key, kv.Value)
	}
}
