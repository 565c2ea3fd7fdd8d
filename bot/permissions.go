package bot

import "slices"

// Action is something a member asks the bot to do. Every action is
// authorised here and only here: adapters and flows never decide.
type Action string

const (
	ActPropose         Action = "propose"          // 提议题
	ActReview          Action = "review"           // 审定: 同意/退回修改/不予受理
	ActPrepare         Action = "prepare"          // 制定方案、发通知
	ActOpenMeeting     Action = "open_meeting"     // 开始协商、推进议程
	ActOpenVote        Action = "open_vote"        // 开始表决
	ActCloseVote       Action = "close_vote"       // 结束表决
	ActCheckIn         Action = "check_in"         // 签到
	ActSpeak           Action = "speak"            // 发言(记入记录)
	ActVote            Action = "vote"             // 表决
	ActPublish         Action = "publish"          // 公示、备案、记录落实事项
	ActClerk           Action = "clerk"            // 代录：代签到、代签退、临时参会、代记发言、代投、现场人数、现场计票、已通报
	ActNameClerk       Action = "name_clerk"       // 指定代录员
	ActConfirmWalkIn   Action = "confirm_walk_in"  // 确认临时参会人员为协商主体(主持人)
	ActConfirmCount    Action = "confirm_count"    // 确认现场计票(第二人)
	ActObject          Action = "object"           // 公示期内提出异议
	ActAnswerObjection Action = "answer_objection" // 答复异议
	ActConfirmMinutes  Action = "confirm_minutes"  // 记录员签字
	ActConfirmFollowUp Action = "confirm_followup" // 确认落实
	ActReportProgress  Action = "report_progress"  // 反馈进展
	ActAuditRecord     Action = "audit_record"     // 监委会审核记录
	ActReadRecords     Action = "read_records"     // 查看议题与记录
	ActIssueBindCode   Action = "issue_bind_code"  // 发放绑定码
	ActListPending     Action = "list_pending"     // 查看待审定的议题
	ActResubmit        Action = "resubmit"         // 修改后重新提交
	ActAddFollowUp     Action = "add_followup"     // 记录落实事项
	// Read actions of the web pages (adapters/web).
	ActReadStats      Action = "read_stats"      // 查看统计、提醒安排、审计核对，导出审计日志
	ActDownloadBackup Action = "download_backup" // 下载数据备份
)

// AllActions lists every action, for the permission matrix test.
var AllActions = []Action{ActPropose, ActReview, ActPrepare, ActOpenMeeting, ActOpenVote,
	ActCloseVote, ActCheckIn, ActSpeak, ActVote, ActPublish, ActConfirmMinutes,
	ActConfirmFollowUp, ActReportProgress, ActAuditRecord, ActReadRecords, ActIssueBindCode,
	ActListPending, ActResubmit, ActAddFollowUp, ActClerk, ActNameClerk, ActConfirmCount, ActObject, ActAnswerObjection, ActConfirmWalkIn,
	ActReadStats, ActDownloadBackup}

var actionNames = map[Action]string{
	ActPropose: "提出议题", ActReview: "审定议题", ActPrepare: "制定协商方案并通知",
	ActOpenMeeting: "主持协商", ActOpenVote: "开始表决", ActCloseVote: "结束表决",
	ActCheckIn: "签到", ActSpeak: "发言", ActVote: "表决", ActPublish: "公示备案、记录再议安排",
	ActConfirmMinutes: "确认会议记录(记录员签字)", ActConfirmFollowUp: "确认落实",
	ActReportProgress: "反馈落实进展", ActAuditRecord: "审核记录", ActReadRecords: "查看记录",
	ActIssueBindCode: "发放绑定码", ActListPending: "查看待审定的议题", ActResubmit: "修改后重新提交议题",
	ActAddFollowUp: "记录落实事项",
	ActClerk:       "代为记录现场情况", ActNameClerk: "指定代录员", ActConfirmWalkIn: "确认临时参会人员为协商主体",
	ActConfirmCount: "确认现场计票", ActObject: "对公示提出异议", ActAnswerObjection: "答复异议",
	ActReadStats: "查看统计、提醒安排和审计核对", ActDownloadBackup: "下载数据备份",
}

// Chinese returns the action's Chinese name.
func (a Action) Chinese() string { return actionNames[a] }

// Actor is who asks: the roster member (nil when the sender is not on the
// roster).
type Actor struct {
	Member *Member
	// Responsible is set when the member is the responsible person (责任人)
	// of the follow-up item the action concerns: they may report its
	// progress whatever their standing role.
	Responsible bool
	// Reporter is set when the member filed the progress report that says
	// the item is done (the one a 确认落实 would accept): a report is
	// confirmed, or sent back, by someone else.
	Reporter bool
	// InGroup is set when the request came from a group chat. 审定 and the
	// list of proposals awaiting it happen in private with the party
	// organisation only; the group sees the outcome. The engine leaves it
	// false: the chat is the conversational layer's to know.
	InGroup bool
}

// Authorize decides whether actor may do action, on topic when the action
// concerns one (topic may be nil for actions that do not). A refusal is an
// EFORBIDDEN error whose message names the rule, in Chinese.
func Authorize(actor Actor, action Action, topic *Topic) error {
	m := actor.Member
	if m == nil {
		return Errorf(EFORBIDDEN, "您还不在本社区的名册上，暂时不能%s。请联系村(居)委会工作人员登记。", action.Chinese())
	}
	party := m.Has(RoleSecretary) || m.Has(RolePartyMember)
	cadre := party || m.Has(RoleDirector) || m.Has(RoleCommittee)
	isChair := topic != nil && topic.Chair == m.ID
	isRecorder := topic != nil && topic.Recorder == m.ID
	participant := topic != nil && topic.IsParticipant(m.ID)
	ok := false
	why := ""
	switch action {
	case ActReadRecords:
		ok, why = true, ""
	case ActPropose:
		ok, why = !m.IsObserver(), "列席/旁听人员不提出议题，可以请村(居)民代表或工作人员代为提出"
	case ActReview, ActListPending:
		ok, why = party, "议题由村(社区)党组织审定，只有党组织书记和党组织成员可以"+action.Chinese()
		if ok && actor.InGroup {
			ok, why = false, "审定在私聊中进行，请私聊我发送「审定 #编号」或「待审定」，审定结果会在群里公布"
		}
	case ActResubmit:
		ok, why = topic != nil && topic.Proposer == m.ID, "被退回的议题只能由提议人本人修改后重新提交"
	case ActPrepare, ActIssueBindCode:
		ok, why = cadre, "只有党组织成员、村(居)委会主任和两委成员可以"+action.Chinese()
	case ActOpenMeeting, ActOpenVote, ActCloseVote:
		ok, why = isChair || (topic != nil && topic.Chair == "" && m.Has(RoleSecretary)), "只有本议题的主持人可以"+action.Chinese()
	case ActCheckIn, ActSpeak:
		ok, why = participant, "您不是本议题的协商主体，可以旁听，但签到和发言记录只限参会人员"
	case ActVote:
		ok, why = participant && !m.IsObserver(), "只有本议题的协商主体可以表决，列席/旁听人员不表决"
		if ok && topic.Recused(m.ID) {
			ok, why = false, "本议题实行利益相关方回避，您是利益相关方，可以参加协商、发表意见，但不参加表决"
		}
		if ok && !topic.Present(m.ID) {
			ok, why = false, "请先发「签到」，签到后才能表决(表决按实到会人员计算)"
		}
	case ActPublish, ActAddFollowUp:
		ok, why = isChair || isRecorder || m.Has(RoleSecretary), "只有本议题的主持人、记录员或党组织书记可以"+action.Chinese()
	case ActClerk:
		ok, why = isRecorder || (topic != nil && slices.Contains(topic.Clerks, m.ID)), "只有本议题的记录员或主持人指定的代录员可以代为记录现场的签到、发言和表决"
	case ActNameClerk, ActAnswerObjection, ActConfirmWalkIn:
		ok, why = isChair, "只有本议题的主持人可以"+action.Chinese()
	case ActConfirmCount:
		ok, why = m.Has(RoleSupervisor) || isChair, "现场计票须由在场的监委会成员(没有时由主持人)确认"
	case ActObject:
		ok, why = !m.IsObserver() || (topic != nil && slices.Contains(topic.Stakeholders, m.ID)), "公示期内名册上的村(居)民和利益相关方可以提出异议"
	case ActConfirmMinutes:
		ok, why = isRecorder, "记录表由本议题的记录员签字确认"
	case ActConfirmFollowUp, ActAuditRecord:
		ok, why = m.Has(RoleSupervisor), "只有村(居)务监督委员会成员可以"+action.Chinese()
		if ok && action == ActConfirmFollowUp && (actor.Reporter || actor.Responsible) {
			ok, why = false, "这项落实情况是您本人负责或反馈的，须由监委会的其他成员核实确认，不能自己确认自己"
		}
	case ActReportProgress:
		ok, why = actor.Responsible || cadre || m.Has(RoleSupervisor) || isChair || isRecorder, "只有落实责任人或两委成员可以反馈进展"
	case ActReadStats:
		// The officers who answer for the process and those who supervise it.
		ok, why = m.Has(RoleSecretary) || m.Has(RoleDirector) || m.Has(RoleSupervisor), "统计、提醒安排和审计核对只对党组织书记、村(居)委会主任和监委会成员开放"
	case ActDownloadBackup:
		// A backup taken while a secret ballot is open holds that round's key
		// beside its ballots (README, 无记名): only those who run the bot.
		ok, why = m.Has(RoleSecretary) || m.Has(RoleDirector), "数据备份含有全部数据，只有党组织书记和村(居)委会主任可以下载"
	default:
		why = "未知的操作"
	}
	if ok {
		return nil
	}
	return Errorf(EFORBIDDEN, "%s：%s。", m.Name+"，您不能"+action.Chinese(), why)
}
