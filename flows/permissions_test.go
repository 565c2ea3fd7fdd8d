package flows_test

import (
	"fmt"
	"strings"
	"testing"
)

// The roles of the command × role table, by their console names. The
// chair, recorder and supervisor are named at approval; 王五 is an outside
// stakeholder named then too; 路人甲 is nobody.
var tableRoles = []struct{ key, name string }{
	{"p", "陈秀英"}, // party organisation member (participant)
	{"c", "陈志强"}, // chair of #1 (村委会主任)
	{"r", "胡丽萍"}, // recorder of #1 (两委)
	{"s", "胡德明"}, // supervisor of #1 (监委会)
	{"m", "李秀兰"}, // roster member, not a participant
	{"o", "王五"},  // outside stakeholder, not on the roster
	{"x", "路人甲"}, // stranger
}

// tableRow is one command: who may use it in the group and in private
// (role keys); everyone else must get a refusal that names the rule, and
// a person not on the roster gets it privately, never named in the group.
type tableRow struct {
	line           string
	group, private string
}

// refused reports whether an answer is a permission refusal.
func refused(out string) bool {
	return strings.Contains(out, "您不能") || strings.Contains(out, "名册上") || strings.Contains(out, "只有责任人")
}

// TestCommandRoleTable drives the real flows through the console harness:
// every command × role in the group and in private chat, stage by stage.
// Within a command the refusals run first, so that an allowed action that
// changes the state cannot turn a later refusal into a stage conflict.
func TestCommandRoleTable(t *testing.T) {
	h := newHarness(t)
	h.run(`[私聊] 陈小龙: 提议
[私聊] 陈小龙: 村口到小学路段安装路灯
[私聊] 陈小龙: 村口到村小学的800米路段没有路灯，冬天晚上看不清路。
[私聊] 陈小龙: 3组、4组村民
[私聊] 陈小龙: 1
[私聊] 陈小龙: 确认
[私聊] 李秀兰: 提议
[私聊] 李秀兰: 修缮村文化礼堂屋顶
[私聊] 李秀兰: 文化礼堂屋顶漏雨，下雨天活动没法开展，希望修缮。
[私聊] 李秀兰: 全体村民
[私聊] 李秀兰: 1
[私聊] 李秀兰: 确认
[私聊] 张建国: 审定 #1
[私聊] 张建国: 1
[私聊] 张建国: 好
[私聊] 张建国: 1 2 3 王五
[私聊] 张建国: 陈志强 胡丽萍 胡德明
`)
	phases := []struct {
		name  string
		setup string
		rows  []tableRow
	}{
		{"approved", "", []tableRow{
			{"帮助", "pcrsmox", "pcrsm"},
			{"提议", "pcrsm", "pcrsm"},
			{"议题", "pcrsm", "pcrsm"},
			{"查看 #1", "pcrsm", "pcrsm"},
			{"记录 #1", "pcrsm", "pcrsm"},
			{"待审定", "", "p"},
			{"审定 #2", "", "p"},
			{"方案 #1", "pcr", "pcr"},
			{"绑定码 陈小龙", "pcr", "pcr"},
			{"待办", "pcrsm", "pcrsm"},
		}},
		{"notified", plan, []tableRow{
			{"开始协商 #1", "c", "c"}, // early: the chair is asked, nothing opens
			{"签到 #1", "pcrs", "pcrs"},
		}},
		{"deliberating", "@advance 104h\n[后陈村议事群] 陈志强: 开始协商 #1\n", []tableRow{
			{"下一步 #1", "c", "c"},
			{"开始表决 #1 同意安装路灯", "c", "c"},
		}},
		{"voting", "", []tableRow{
			{"计票 #1", "pcrsm", "pcrsm"},
			{"赞成 #1", "pcrs", "pcrs"},
			{"结束表决 #1", "c", "c"},
		}},
		{"voted", "", []tableRow{
			{"确认记录 #1", "r", "r"},
			{"事项 #1 安装路灯；王卫东；2027-01-31；监委会现场查看", "cr", "cr"},
			{"公示 #1", "cr", "cr"},
			{"审核记录 #1", "s", "s"},
			{"反馈 #1 灯杆已到货", "pcrs", "pcrs"},
		}},
	}
	for _, ph := range phases {
		h.run(ph.setup)
		for _, row := range ph.rows {
			type try struct {
				role, name string
				group      bool
				allowed    bool
			}
			var tries []try
			for _, r := range tableRoles {
				tries = append(tries,
					try{r.key, r.name, true, strings.Contains(row.group, r.key)},
					try{r.key, r.name, false, strings.Contains(row.private, r.key)})
			}
			// Refusals first.
			for pass := 0; pass < 2; pass++ {
				for _, tr := range tries {
					if tr.allowed != (pass == 1) {
						continue
					}
					chat := "[私聊]"
					if tr.group {
						chat = "[后陈村议事群]"
					}
					out := h.run(fmt.Sprintf("%s %s: %s\n", chat, tr.name, row.line))
					h.run(fmt.Sprintf("%s %s: 取消\n", chat, tr.name))
					where := map[bool]string{true: "group", false: "private"}[tr.group]
					switch {
					case tr.allowed && refused(out):
						t.Errorf("%s: %s (%s) in %s was refused:\n%s", ph.name, row.line, tr.name, where, out)
					case !tr.allowed && !refused(out):
						t.Errorf("%s: %s (%s) in %s was not refused:\n%s", ph.name, row.line, tr.name, where, out)
					}
					if !tr.allowed && tr.group && (tr.role == "o" || tr.role == "x") {
						// Never named in the group: the refusal goes privately.
						for _, l := range strings.Split(out, "\n") {
							if strings.HasPrefix(l, "[后陈村议事群] 议事助手: ") && strings.Contains(l, tr.name) {
								t.Errorf("%s: %s (%s): the group reply names a person not on the roster: %s", ph.name, row.line, tr.name, l)
							}
						}
						if !strings.Contains(out, "[私聊→"+tr.name+"]") && row.line != "帮助" {
							t.Errorf("%s: %s (%s): the refusal was not sent privately:\n%s", ph.name, row.line, tr.name, out)
						}
					}
				}
			}
		}
	}
}
