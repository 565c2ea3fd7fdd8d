package engine

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/yishi-community/yishi/bot"
)

// TopicQuery says which topic a command may mean. Every command that names
// a topic resolves it here, so the rules are the same everywhere: a number
// is taken as written; a malformed or missing number is never guessed.
type TopicQuery struct {
	// Ref is the topic reference as typed: "#3", "3", "" (none) or
	// anything else (malformed), see SplitTopicRef.
	Ref string
	// Command is the command word, for the format in the answer ("公示").
	Command string
	// Stages are the stages in which the command applies; the topics that
	// fit are listed in every refusal.
	Stages []bot.Stage
	// Fits narrows the candidates to the chat: a group's own topics or, in
	// a private chat, the sender's. nil: every topic of the community.
	Fits func(*bot.Topic) bool
	// Current is set for the commands of a live meeting (签到, 下一步, 计票,
	// a vote): there the only topic that fits is the meeting under way and
	// is meant without a number. For every other command the only fitting
	// topic is offered for confirmation (TopicGuess), never assumed.
	Current bool
}

// TopicGuess is the answer when no number was given and exactly one topic
// fits: the caller asks "是指 #N 吗？回复 是 确认" and acts only on 是. Its
// message (bot.ErrorMessage) is that question.
type TopicGuess struct {
	Topic   *bot.Topic
	Command string
	err     *bot.Error
}

func (g *TopicGuess) Error() string { return g.err.Error() }

// Unwrap gives the domain error, so bot.ErrorMessage and bot.ErrorCode work.
func (g *TopicGuess) Unwrap() error { return g.err }

// SplitTopicRef takes a leading topic reference off a command's text:
// "#3 同意安装" → ("#3", "同意安装"). A first word that starts with # (or ＃)
// is the reference even when malformed ("#abc"), so that it is refused
// rather than read as free text; a first word made of digits is one too.
func SplitTopicRef(s string) (ref, rest string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ""
	}
	if strings.HasPrefix(s, "＃") {
		s = "#" + strings.TrimPrefix(s, "＃")
	}
	if strings.HasPrefix(s, "#") {
		body := strings.TrimLeft(s[1:], " ")
		n := leadingDigits(body)
		if n > 0 {
			return "#" + body[:n], trimSep(body[n:])
		}
		f, r, _ := strings.Cut(s, " ")
		return f, trimSep(r)
	}
	if n := leadingDigits(s); n > 0 {
		if r, _ := utf8.DecodeRuneInString(s[n:]); n == len(s) || strings.ContainsRune(" ：:,，", r) {
			return s[:n], trimSep(s[n:])
		}
	}
	return "", s
}

func trimSep(s string) string { return strings.TrimLeft(strings.TrimSpace(s), " :：,，") }

func leadingDigits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// TopicFormat is how a command names a topic, for answers: 「公示 #编号」.
func TopicFormat(command string) string { return "「" + command + " #编号」" }

// ResolveTopic finds the topic a command refers to. A well-formed number
// returns that topic whatever its stage (the action itself says why the
// stage does not fit); a malformed or unknown number is an EINVALID or
// ENOTFOUND answer naming the format and listing the topics that fit; no
// number returns the only fitting topic when q.Current, a *TopicGuess when
// exactly one fits otherwise, and a list to choose from when several do.
func (tx *Tx) ResolveTopic(comm string, q TopicQuery) (*bot.Topic, error) {
	c, err := tx.comm(comm)
	if err != nil {
		return nil, err
	}
	ref := strings.TrimSpace(q.Ref)
	fits := tx.fitting(comm, q)
	if ref != "" {
		digits := strings.TrimPrefix(ref, "#")
		n, convErr := strconv.Atoi(digits)
		if convErr != nil || n <= 0 || leadingDigits(digits) != len(digits) {
			return nil, bot.Errorf(bot.EINVALID, "「%s」不是议题编号：编号是数字，写成%s，例如「%s #1」。%s",
				clipRef(ref), TopicFormat(q.Command), q.Command, listFits(q, fits))
		}
		t := c.topics[strconv.Itoa(n)]
		if t == nil {
			return nil, bot.Errorf(bot.ENOTFOUND, "没有编号为 #%d 的议题。%s", n, listFits(q, fits))
		}
		return t, nil
	}
	switch {
	case len(fits) == 1 && q.Current:
		return fits[0], nil
	case len(fits) == 1:
		t := fits[0]
		return nil, &TopicGuess{Topic: t, Command: q.Command, err: bot.Errorf(bot.EINVALID,
			"您没有写议题编号。是指%s吗？回复「是」确认；不是的话请写上编号，例如「%s #%s」。", t.Label(), q.Command, t.ID)}
	case len(fits) == 0:
		return nil, bot.Errorf(bot.EINVALID, "请写上议题编号，格式%s。%s", TopicFormat(q.Command), listFits(q, fits))
	}
	return nil, bot.Errorf(bot.EINVALID, "有%d个议题可以「%s」，请写上编号，格式%s，例如「%s #%s」。%s",
		len(fits), q.Command, TopicFormat(q.Command), q.Command, fits[0].ID, listFits(q, fits))
}

// fitting lists the topics of comm at q's stages that q.Fits accepts.
func (tx *Tx) fitting(comm string, q TopicQuery) []*bot.Topic {
	var out []*bot.Topic
	for _, t := range tx.TopicsIn(comm, q.Stages...) {
		if q.Fits == nil || q.Fits(t) {
			out = append(out, t)
		}
	}
	return out
}

// maxListed bounds the topics named in one answer.
const maxListed = 10

// listFits names the fitting topics, or says there are none.
func listFits(q TopicQuery, fits []*bot.Topic) string {
	if len(fits) == 0 && len(q.Stages) > 4 { // a read: every stage fits
		return fmt.Sprintf("现在没有可以%s的议题。发「议题」查看全部议题。", q.Command)
	}
	if len(fits) == 0 {
		names := make([]string, len(q.Stages))
		for i, s := range q.Stages {
			names[i] = s.Chinese()
		}
		return fmt.Sprintf("现在没有处于「%s」的议题可以%s。发「议题」查看全部议题。", strings.Join(names, "/"), q.Command)
	}
	labels := make([]string, 0, min(len(fits), maxListed))
	for _, t := range fits[:min(len(fits), maxListed)] {
		labels = append(labels, t.Label())
	}
	more := ""
	if len(fits) > maxListed {
		more = fmt.Sprintf("等%d个", len(fits))
	}
	return fmt.Sprintf("现在可以「%s」的议题：%s%s。", q.Command, strings.Join(labels, "、"), more)
}

func clipRef(s string) string {
	r := []rune(s)
	if len(r) > 12 {
		return string(r[:12]) + "…"
	}
	return s
}
