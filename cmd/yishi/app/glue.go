package app

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/config"
	"github.com/yishi-community/yishi/bot/engine"
	"github.com/yishi-community/yishi/bot/record"
	"github.com/yishi-community/yishi/bot/screening"
	"github.com/yishi-community/yishi/bot/screening/opinion"
	"github.com/yishi-community/yishi/flows"
)

// Screening keeps one screener per community, since the archive of past
// decisions (五不议 rule 3) is each community's own.
type Screening struct {
	by map[string]*screening.Screener
	// second asks a language model for a second opinion (nil: off, the
	// default). It runs in the background, never under the engine's lock:
	// the reviewer sees it beside the rule engine's screening once it has
	// come, and it decides nothing.
	second   *opinion.Client
	opinions sync.Map // community + "\x00" + text → *secondOpinion
}

// secondOpinion is one proposal's model answer, pending until done closes.
type secondOpinion struct {
	done chan struct{}
	o    opinion.Opinion
	ok   bool
}

func newScreening(s bot.Store, comms []*config.Community, second *opinion.Client) (*Screening, error) {
	sc := &Screening{by: map[string]*screening.Screener{}, second: second}
	for _, c := range comms {
		scr, err := screening.New(screening.DefaultPacks()...)
		if err != nil {
			return nil, fmt.Errorf("screening packs: %w", err)
		}
		if _, err := screening.LoadArchive(s, c.ID, scr); err != nil {
			return nil, fmt.Errorf("load decision archive of %s: %w", c.ID, err)
		}
		if _, err := screening.LoadReviewed(s, c.ID, scr); err != nil {
			return nil, fmt.Errorf("load reviewed examples of %s: %w", c.ID, err)
		}
		sc.by[c.ID] = scr
	}
	return sc, nil
}

// Screener returns a community's screener.
func (s *Screening) Screener(comm string) *screening.Screener { return s.by[comm] }

// Screen is the flows.Screener.
func (s *Screening) Screen(comm, text string) flows.ScreenResult {
	scr := s.by[comm]
	if scr == nil {
		return flows.ScreenResult{Screening: bot.Screening{Verdict: "admissible"}}
	}
	r := scr.ScreenFor(comm, text)
	res := flows.ScreenResult{Screening: r.Screening(), ProposerText: r.ProposerText(), ReviewerText: withoutReplyHint(r.ReviewerText())}
	if line := s.secondOpinion(comm, text, r); line != "" {
		res.ReviewerText += "\n" + line
	}
	return res
}

// secondOpinion asks the model once per proposal text, in the background
// (the first screening, when the proposal is filed), and returns the
// reviewer's line: the answer once it has come, "" when it failed or the
// second opinion is off. The proposer never sees it.
func (s *Screening) secondOpinion(comm, text string, r screening.Result) string {
	if s.second == nil {
		return ""
	}
	v, loaded := s.opinions.LoadOrStore(comm+"\x00"+text, &secondOpinion{done: make(chan struct{})})
	so := v.(*secondOpinion)
	if !loaded {
		go func() {
			defer close(so.done)
			so.o, so.ok = s.second.Ask(context.Background(), text, r)
		}()
	}
	select {
	case <-so.done:
		if so.ok {
			return so.o.Text()
		}
		return ""
	default:
		return "· 第二意见(语言模型，仅供参考)还在生成，稍后再发「审定 #编号」可以看到。"
	}
}

// Reviewed turns a 审定 into a labelled example of the community, stored
// with the action and used at once by the next screening.
func (s *Screening) Reviewed(tx *engine.Tx, t *bot.Topic) {
	scr := s.by[t.Community]
	if scr == nil {
		return
	}
	ex := screening.ReviewedExample{ID: "topic-" + t.ID, Text: t.Title + "\n" + t.Content, Flagged: t.Screening.Rules,
		ScreenCategory: t.Screening.Category, Reason: t.ReviewNote, DecidedOn: tx.Now().Format("2006-01-02")}
	switch t.Stage {
	case bot.StageApproved:
		ex.Kind, ex.Category = screening.ReviewApproved, t.Category
		if t.Screening.Override != "" {
			ex.Reason = t.Screening.Override
		}
	case bot.StageReturned:
		ex.Kind = screening.ReviewReturned
	case bot.StageDeclined:
		ex.Kind, ex.Rule = screening.ReviewDeclined, t.DeclineRule
	default:
		return
	}
	if err := scr.Learn(t.Community, ex); err != nil {
		slog.Warn("screening could not learn from a review", "topic", t.ID, "err", err)
		return
	}
	tx.Put(screening.ReviewWrites(t.Community, ex)...)
}

// Learn adds a passed topic to its community's archive, durably with the
// action that closed the vote.
func (s *Screening) Learn(tx *engine.Tx, t *bot.Topic) {
	scr := s.by[t.Community]
	if scr == nil {
		return
	}
	d := screening.Decision{ID: "topic-" + t.ID, Title: t.Title, Text: t.Content + "\n" + t.Opinion,
		DecidedOn: t.Result.ClosedAt.Format("2006-01-02")}
	scr.AddDecision(d)
	tx.Put(screening.DecisionWrites(t.Community, d)...)
}

// RecordText renders a topic's record sheet (附件2) for a chat message.
func RecordText(tx *engine.Tx, t *bot.Topic) string { return record.Text(Sheet(tx, t)) }

// Sheet gathers what the record sheet needs.
func Sheet(tx *engine.Tx, t *bot.Topic) record.Sheet {
	c := tx.Community(t.Community)
	s := record.Sheet{Topic: t, Community: c.Name, Location: c.Location,
		Names: func(id string) string { return tx.Name(t.Community, id) }}
	if full, err := tx.Topic(t.Community, t.ID); err == nil && full != t {
		s.Full = full
	}
	ballots := tx.Ballots(t.Community, t)
	ids := make([]string, 0, len(ballots))
	for id := range ballots {
		if t.Present(id) {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b string) int { return strings.Compare(tx.Name(t.Community, a), tx.Name(t.Community, b)) })
	s.Now = tx.Now()
	s.Unreached = tx.Unreached(t.Community, t, nil)
	for _, id := range ids {
		line := record.VoteLine{Name: tx.Name(t.Community, id), Choice: ballots[id]}
		if by := t.Proxied["vote:"+id]; by != "" {
			line.By = tx.Name(t.Community, by)
		}
		s.OpenVotes = append(s.OpenVotes, line)
	}
	return s
}

// withoutReplyHint drops the screening text's own "how to reply" line: the
// review flow asks its own numbered question.
func withoutReplyHint(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "请回复") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
