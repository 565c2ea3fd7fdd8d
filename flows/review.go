package flows

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/engine"
)

func (b *Bot) reviewTopic(m *msg, c *engine.Conversation) (*bot.Topic, bool) {
	t, err := m.tx.Topic(m.comm.ID, c.Topic)
	if err != nil || t.Stage != bot.StagePendingReview {
		b.end(m)
		if err != nil {
			m.replyErr(err)
		} else {
			m.reply("议题 %s 已经是「%s」，这次审定结束。", t.Label(), t.Stage.Chinese())
		}
		return nil, false
	}
	return t, true
}

// participantGroups are the choices offered to the reviewer; supervisors,
// the proposer, the chair and the recorder are always added.
var participantGroups = []struct {
	name  string
	roles []bot.Role
}{
	{"党组织书记和村(居)委会主任", []bot.Role{bot.RoleSecretary, bot.RoleDirector}},
	{"两委成员和党组织成员", []bot.Role{bot.RoleCommittee, bot.RolePartyMember}},
	{"村(居)民代表", []bot.Role{bot.RoleRepresentative}},
	{"全体村(居)民", []bot.Role{bot.RoleResident}},
	{"列席/旁听人员(不表决)", []bot.Role{bot.RoleObserver}},
}

var reviewSteps = map[string]step{
	"decision": {
		prompt: func(b *Bot, m *msg, c *engine.Conversation) string {
			t, err := m.tx.Topic(m.comm.ID, c.Topic)
			if err != nil {
				return bot.ErrorMessage(err)
			}
			text := "审定议题：\n" + b.describe(m.tx, t)
			if s := b.screenTopic(m, t); s.ReviewerText != "" {
				text += "\n" + s.ReviewerText
			}
			return text + "\n请回复：1 同意  2 退回修改  3 不予受理"
		},
		answer: func(b *Bot, m *msg, c *engine.Conversation) {
			if _, ok := b.reviewTopic(m, c); !ok {
				return
			}
			switch {
			case isOneOf(m.text, "1", "同意", "同意受理"):
				b.ask(m, c, "category")
			case isOneOf(m.text, "2", "退回", "退回修改"):
				b.ask(m, c, "return_reason")
			case isOneOf(m.text, "3", "不予受理", "不受理"):
				b.ask(m, c, "decline_rule")
			default:
				b.retry(m, c, "请回复 1 同意、2 退回修改 或 3 不予受理。")
			}
		},
	},
	"category": {
		prompt: func(b *Bot, m *msg, c *engine.Conversation) string {
			t, _ := m.tx.Topic(m.comm.ID, c.Topic)
			text := "归入六必议的哪一类？回复数字：\n" + numbered(bot.Categories[1:])
			if t != nil && t.Screening.Category > 0 {
				text += "\n预审建议：" + categoryHint(t.Screening.Category) + "。回复「好」采用建议。"
			}
			return text
		},
		answer: func(b *Bot, m *msg, c *engine.Conversation) {
			t, ok := b.reviewTopic(m, c)
			if !ok {
				return
			}
			k, ok := choose(m.text, 6)
			if !ok && isYes(m.text) && t.Screening.Category > 0 {
				k, ok = t.Screening.Category, true
			}
			if !ok {
				b.retry(m, c, "请回复 1-6 之间的数字。")
				return
			}
			c.Values["category"] = strconv.Itoa(k)
			if t.Screening.Verdict == "review" || t.Screening.Verdict == "excluded" {
				b.ask(m, c, "override")
				return
			}
			b.ask(m, c, "participants")
		},
	},
	"override": {
		prompt: func(b *Bot, m *msg, c *engine.Conversation) string {
			t, _ := m.tx.Topic(m.comm.ID, c.Topic)
			rules := ""
			if t != nil {
				for _, r := range t.Screening.Rules {
					rules += fmt.Sprintf("第%d条「%s不议」；", r, bot.ExclusionRules[r])
				}
			}
			return "预审提示这个议题可能属于五不议：" + rules + "\n如果仍同意受理，请写一句理由(会记入审计日志和统计)。"
		},
		answer: func(b *Bot, m *msg, c *engine.Conversation) {
			if err := engine.CheckLength("理由", m.raw, 2, engine.MaxText); err != nil {
				b.retry(m, c, bot.ErrorMessage(err))
				return
			}
			c.Values["override"] = m.raw
			b.ask(m, c, "participants")
		},
	},
	"participants": {
		prompt: func(b *Bot, m *msg, c *engine.Conversation) string {
			names := make([]string, len(participantGroups))
			for i, g := range participantGroups {
				names[i] = g.name
			}
			return "请选择参会的协商主体：回复编号(可以多选，用空格隔开)，后面可以加利益相关人的姓名。\n" + numbered(names) +
				"\n监委会成员、提议人、主持人和记录员会自动加入。名册外的单位或个人(如物业公司)也可以写上，记为利益相关方。\n例如：1 2 3 王五 物业公司"
		},
		answer: func(b *Bot, m *msg, c *engine.Conversation) {
			parts, stake, bad := b.parseParticipants(m)
			if bad != "" {
				b.retry(m, c, bad)
				return
			}
			if len(parts) == 0 {
				b.retry(m, c, "请至少选择一类协商主体，例如回复「1 2 3」。")
				return
			}
			c.Values["participants"] = strings.Join(parts, ",")
			c.Values["stakeholders"] = strings.Join(stake, ",")
			b.ask(m, c, "roles")
		},
	},
	"roles": {
		prompt: func(b *Bot, m *msg, c *engine.Conversation) string {
			chair, rec, sup := b.defaultRoles(m)
			return fmt.Sprintf("主持人、记录员、监督员默认是：%s、%s、%s。\n回复「好」使用默认，或依次写三个姓名(空格隔开)。",
				m.tx.Name(m.comm.ID, chair), m.tx.Name(m.comm.ID, rec), m.tx.Name(m.comm.ID, sup))
		},
		answer: func(b *Bot, m *msg, c *engine.Conversation) {
			chair, rec, sup := b.defaultRoles(m)
			if !isYes(m.text) {
				f := strings.Fields(strings.NewReplacer("、", " ", ",", " ", "，", " ").Replace(m.text))
				if len(f) != 3 {
					b.retry(m, c, "请回复「好」，或依次写主持人、记录员、监督员三个姓名，用空格隔开。")
					return
				}
				ids := make([]string, 3)
				for i, name := range f {
					mm, err := m.tx.FindMember(m.comm.ID, name)
					if err != nil {
						b.retry(m, c, bot.ErrorMessage(err))
						return
					}
					ids[i] = mm.ID
				}
				chair, rec, sup = ids[0], ids[1], ids[2]
			}
			cat, _ := strconv.Atoi(c.Values["category"])
			a := engine.Approval{Category: cat, Participants: splitList(c.Values["participants"]),
				Stakeholders: splitList(c.Values["stakeholders"]), Chair: chair, Recorder: rec, Supervisor: sup,
				Override: c.Values["override"]}
			t, err := m.tx.Approve(m.comm.ID, c.Topic, m.member, a)
			if err == nil && b.opts.OnReview != nil {
				b.opts.OnReview(m.tx, t)
			}
			if err != nil {
				b.retry(m, c, bot.ErrorMessage(err))
				return
			}
			b.end(m)
			m.toGroup(t, fmt.Sprintf("【审定结果】议题 %s 经党组织审定同意，归入六必议第%d类，接下来制定协商方案并通知参会人员。", t.Label(), t.Category))
			tl := m.tx.Tally(m.comm.ID, t)
			m.reply("议题 %s 已审定同意，归入六必议第%d类。参会%d人(表决人%d人)，主持人%s，记录员%s，监督员%s。\n下一步：发「方案 #%s」制定协商方案并通知参会人员。",
				t.Label(), t.Category, len(t.Participants), tl.Expected, m.tx.Name(m.comm.ID, t.Chair), m.tx.Name(m.comm.ID, t.Recorder), m.tx.Name(m.comm.ID, t.Supervisor), t.ID)
		},
	},
	"return_reason": {
		prompt: func(b *Bot, m *msg, c *engine.Conversation) string {
			return "请写退回修改的理由(会转告提议人)："
		},
		answer: func(b *Bot, m *msg, c *engine.Conversation) {
			t, err := m.tx.Return(m.comm.ID, c.Topic, m.member, m.raw)
			if err == nil && b.opts.OnReview != nil {
				b.opts.OnReview(m.tx, t)
			}
			if err != nil {
				b.retry(m, c, bot.ErrorMessage(err))
				return
			}
			b.end(m)
			m.toGroup(t, fmt.Sprintf("【审定结果】议题 %s 经党组织审定，退回提议人修改后再提交。", t.Label()))
			m.reply("议题 %s 已退回修改，理由已告诉提议人%s。", t.Label(), m.tx.Name(m.comm.ID, t.Proposer))
		},
	},
	"decline_rule": {
		prompt: func(b *Bot, m *msg, c *engine.Conversation) string {
			t, _ := m.tx.Topic(m.comm.ID, c.Topic)
			text := "依据五不议的哪一条？回复数字：\n" + numbered(bot.ExclusionRules[1:])
			if t != nil && len(t.Screening.Rules) > 0 {
				text += fmt.Sprintf("\n预审提示：第%d条。", t.Screening.Rules[0])
			}
			return text
		},
		answer: func(b *Bot, m *msg, c *engine.Conversation) {
			k, ok := choose(m.text, 5)
			if !ok {
				b.retry(m, c, "请回复 1-5 之间的数字。")
				return
			}
			c.Values["rule"] = strconv.Itoa(k)
			b.ask(m, c, "decline_reason")
		},
	},
	"decline_reason": {
		prompt: func(b *Bot, m *msg, c *engine.Conversation) string {
			return "请写不予受理的理由(会连同依据一起告诉提议人)："
		},
		answer: func(b *Bot, m *msg, c *engine.Conversation) {
			rule, _ := strconv.Atoi(c.Values["rule"])
			t, err := m.tx.Decline(m.comm.ID, c.Topic, m.member, rule, m.raw)
			if err == nil && b.opts.OnReview != nil {
				b.opts.OnReview(m.tx, t)
			}
			if err != nil {
				b.retry(m, c, bot.ErrorMessage(err))
				return
			}
			b.end(m)
			m.toGroup(t, fmt.Sprintf("【审定结果】议题 %s 经党组织审定不予受理，依据五不议第%d条(%s)。", t.Label(), rule, bot.ExclusionRules[rule]))
			m.reply("议题 %s 不予受理(五不议第%d条)，依据和理由已告诉提议人%s。", t.Label(), rule, m.tx.Name(m.comm.ID, t.Proposer))
		},
	},
}

func (b *Bot) screenTopic(m *msg, t *bot.Topic) ScreenResult {
	s := b.opts.Screener(m.comm.ID, t.Title+"\n"+t.Content+"\n"+t.Affected)
	s.Screening = t.Screening // what the proposer saw is what was stored
	return s
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func (b *Bot) defaultRoles(m *msg) (chair, recorder, supervisor string) {
	chair = m.member.ID
	if s := m.comm.WithRole(bot.RoleSecretary); len(s) > 0 {
		chair = s[0].ID
	}
	recorder = chair
	for _, r := range []bot.Role{bot.RoleCommittee, bot.RolePartyMember, bot.RoleDirector} {
		if s := m.comm.WithRole(r); len(s) > 0 && s[0].ID != chair {
			recorder = s[0].ID
			break
		}
	}
	if s := m.comm.WithRole(bot.RoleSupervisor); len(s) > 0 {
		supervisor = s[0].ID
	}
	return chair, recorder, supervisor
}

// parseParticipants reads "1 2 3 王五 物业公司": group numbers, roster
// names (participants and stakeholders) and outside parties (stakeholders).
func (b *Bot) parseParticipants(m *msg) (parts, stake []string, bad string) {
	f := strings.Fields(strings.NewReplacer("、", " ", ",", " ", "，", " ", ";", " ", "；", " ").Replace(m.text))
	add := func(id string) {
		if !slices.Contains(parts, id) {
			parts = append(parts, id)
		}
	}
	for _, tok := range f {
		if k, err := strconv.Atoi(tok); err == nil {
			if k < 1 || k > len(participantGroups) {
				return nil, nil, fmt.Sprintf("没有第%d类，请用 1-%d 的编号。", k, len(participantGroups))
			}
			for _, r := range participantGroups[k-1].roles {
				for _, mm := range m.comm.WithRole(r) {
					add(mm.ID)
				}
			}
			continue
		}
		mm, err := m.tx.FindMember(m.comm.ID, tok)
		switch {
		case err == nil:
			add(mm.ID)
			stake = append(stake, mm.ID)
		case bot.ErrorCode(err) == bot.ENOTFOUND:
			stake = append(stake, tok) // an outside party: recorded, does not vote
		default:
			return nil, nil, bot.ErrorMessage(err)
		}
	}
	return parts, stake, ""
}
