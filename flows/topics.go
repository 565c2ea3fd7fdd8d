package flows

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/yishi-community/yishi/bot"
)

// Reads go through bot.Authorize like writes: a person not on the roster
// sees no topics, and in a group nobody sees a proposer's name before it
// is on the record.

func (m *msg) actor() bot.Actor { return bot.Actor{Member: m.member, InGroup: m.group != nil} }

func (b *Bot) cmdTopics(m *msg, rest string) {
	if ref, _ := splitRef(rest); ref != "" {
		b.cmdShow(m, rest)
		return
	}
	if err := bot.Authorize(m.actor(), bot.ActReadRecords, nil); err != nil {
		b.refuse(m, err)
		return
	}
	ts := m.tx.Topics(m.comm.ID)
	if len(ts) == 0 {
		m.reply("%s还没有议题。发「提议」提出第一个。", m.comm.Name)
		return
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s的议题(%d个)：", m.comm.Name, len(ts))
	for _, t := range ts[max(0, len(ts)-20):] {
		fmt.Fprintf(&sb, "\n%s —— %s", t.Label(), t.Stage.Chinese())
	}
	if len(ts) > 20 {
		sb.WriteString("\n(只列出最近20个)")
	}
	m.say(sb.String())
}

func (b *Bot) cmdPending(m *msg, _ string) {
	if err := bot.Authorize(m.actor(), bot.ActListPending, nil); err != nil {
		b.refuse(m, err)
		return
	}
	ts := m.tx.TopicsIn(m.comm.ID, bot.StagePendingReview)
	if len(ts) == 0 {
		m.reply("没有待审定的议题。")
		return
	}
	var sb strings.Builder
	sb.WriteString("待审定的议题：")
	for _, t := range ts {
		mark := ""
		if t.Screening.Verdict == "excluded" || t.Screening.Verdict == "review" {
			mark = " ⚠预审提示"
		}
		fmt.Fprintf(&sb, "\n%s(%s 提出)%s", t.Label(), m.tx.Name(m.comm.ID, t.Proposer), mark)
	}
	sb.WriteString("\n发「审定 #编号」开始审定。")
	m.say(sb.String())
}

func (b *Bot) cmdShow(m *msg, rest string) {
	if err := bot.Authorize(m.actor(), bot.ActReadRecords, nil); err != nil {
		b.refuse(m, err)
		return
	}
	t := b.topic(m, refOnly(rest), scopeAll, stagesAll...)
	if t == nil {
		return
	}
	m.say(b.describe(m.tx, t))
}

var roundPattern = regexp.MustCompile(`第\s*(\d+)\s*轮`)

func (b *Bot) cmdRecord(m *msg, rest string) {
	if err := bot.Authorize(m.actor(), bot.ActReadRecords, nil); err != nil {
		b.refuse(m, err)
		return
	}
	// 「记录 #3 第1轮」: one earlier round of a topic held again.
	round := 0
	if p := roundPattern.FindStringSubmatchIndex(rest); p != nil {
		round, _ = strconv.Atoi(rest[p[2]:p[3]])
		rest = strings.TrimSpace(rest[:p[0]] + rest[p[1]:])
	}
	t := b.topic(m, refOnly(rest), scopeAll, stagesAll...)
	if t == nil {
		return
	}
	if round != 0 {
		v, ok := t.RoundView(round)
		if !ok {
			m.reply("议题 %s 没有第%d轮(共协商%d轮)。", t.Label(), round, t.RoundCount())
			return
		}
		t = v
	}
	sheet := b.describe(m.tx, t)
	if b.opts.Record != nil {
		sheet = b.opts.Record(m.tx, t)
	}
	if m.group != nil {
		// The sheet is long: it goes privately, and the group gets one line.
		m.toMember(m.member.ID, sheet)
		m.reply("%s，议题 %s 的议事协商记录表已私聊发给您。", m.who(), t.Label())
		return
	}
	m.say(sheet)
}

// cmdResubmit starts the propose flow on a returned topic.
func (b *Bot) cmdResubmit(m *msg, rest string) {
	t := b.topic(m, refOnly(rest), scopeChat, bot.StageReturned)
	if t == nil {
		return
	}
	if err := bot.Authorize(m.actor(), bot.ActResubmit, t); err != nil {
		b.refuse(m, err)
		return
	}
	if t.Stage != bot.StageReturned {
		m.reply("只有被退回修改的议题，才能由提议人修改后重新提交。议题 %s 现在是「%s」。", t.Label(), t.Stage.Chinese())
		return
	}
	b.startPropose(m, t)
}

func (b *Bot) cmdReview(m *msg, rest string) {
	if err := bot.Authorize(m.actor(), bot.ActReview, nil); err != nil {
		b.refuse(m, err)
		return
	}
	if strings.TrimSpace(rest) == "" && len(m.tx.TopicsIn(m.comm.ID, bot.StagePendingReview)) != 1 {
		b.cmdPending(m, "")
		return
	}
	t := b.topic(m, refOnly(rest), scopeAll, bot.StagePendingReview)
	if t == nil {
		return
	}
	if t.Stage != bot.StagePendingReview {
		m.reply("议题 %s 现在是「%s」，不需要审定。", t.Label(), t.Stage.Chinese())
		return
	}
	b.start(m, "review", "decision", t.ID, nil)
}
