package bot

import "slices"

// Stage is where a topic is in the five-stage process of PROCESS.md.
type Stage string

// Topic stages. The values are stable keys stored on disk.
const (
	StageDraft         Stage = "draft"          // 草稿
	StagePendingReview Stage = "pending_review" // 待审定
	StageReturned      Stage = "returned"       // 退回修改
	StageDeclined      Stage = "declined"       // 不予受理
	StageApproved      Stage = "approved"       // 已审定
	StageNotified      Stage = "notified"       // 已通知
	StageDeliberating  Stage = "deliberating"   // 协商中
	StageVoting        Stage = "voting"         // 表决中
	StageVoted         Stage = "voted"          // 已表决
	StagePublished     Stage = "published"      // 已公示·已备案
	StageImplementing  Stage = "implementing"   // 落实中
	StageCompleted     Stage = "completed"      // 已办结
	StageRedeliberate  Stage = "redeliberate"   // 再议
	StageTerminated    Stage = "terminated"     // 终止(未通过且不再议)
)

var stageNames = map[Stage]string{
	StageDraft:         "草稿",
	StagePendingReview: "待审定",
	StageReturned:      "退回修改",
	StageDeclined:      "不予受理",
	StageApproved:      "已审定",
	StageNotified:      "已通知",
	StageDeliberating:  "协商中",
	StageVoting:        "表决中",
	StageVoted:         "已表决",
	StagePublished:     "已公示·已备案",
	StageImplementing:  "落实中",
	StageCompleted:     "已办结",
	StageRedeliberate:  "再议",
	StageTerminated:    "已终止",
}

// Chinese returns the stage's Chinese name.
func (s Stage) Chinese() string {
	if n, ok := stageNames[s]; ok {
		return n
	}
	return string(s)
}

// transitions is the whole legal graph; anything else is refused.
var transitions = map[Stage][]Stage{
	StageDraft:         {StagePendingReview},
	StagePendingReview: {StageReturned, StageDeclined, StageApproved},
	StageReturned:      {StagePendingReview},
	StageApproved:      {StageNotified},
	StageNotified:      {StageDeliberating, StageNotified},
	StageDeliberating:  {StageVoting},
	StageVoting:        {StageVoted},
	StageVoted:         {StagePublished},
	StagePublished:     {StageImplementing, StageRedeliberate, StageTerminated},
	StageImplementing:  {StageCompleted},
	StageRedeliberate:  {StageNotified},
}

// CanMove reports whether a topic may go from stage s to next.
func (s Stage) CanMove(next Stage) bool { return slices.Contains(transitions[s], next) }

// Next lists the stages reachable from s in one step.
func (s Stage) Next() []Stage { return slices.Clone(transitions[s]) }

// Final reports whether nothing follows s.
func (s Stage) Final() bool { return len(transitions[s]) == 0 }
