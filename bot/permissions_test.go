package bot

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// matrixColumns is the order of the Y/N strings below: one letter per action.
var matrixColumns = []Action{
	ActPropose, ActReview, ActPrepare, ActOpenMeeting, ActOpenVote, ActCloseVote,
	ActCheckIn, ActSpeak, ActVote, ActPublish, ActConfirmMinutes, ActConfirmFollowUp,
	ActReportProgress, ActAuditRecord, ActReadRecords, ActIssueBindCode,
	ActListPending, ActResubmit, ActAddFollowUp,
	ActClerk, ActNameClerk, ActConfirmCount, ActObject, ActAnswerObjection, ActConfirmWalkIn,
	ActReadStats, ActDownloadBackup,
}

// matrixRow is one kind of actor, on the matrix topic (chaired by "chair",
// recorded by "recorder"), unless topic is overridden.
type matrixRow struct {
	key, label string
	member     *Member
	topic      func(*Topic) // adjusts the matrix topic for this row
	actor      func(*Actor) // adjusts the actor (reporter of an item, asking in a group)
	allowed    string       // Y/N per matrixColumns
}

// matrixRows is the whole permission policy at a glance. Standing roles are
// members holding only that role and no per-topic role; the per-topic rows
// are plain residents (or an observer) so only the topic role shows.
//
//	propose
//	|review
//	||prepare
//	|||open_meeting
//	||||open_vote
//	|||||close_vote
//	||||||check_in
//	|||||||speak
//	||||||||vote
//	|||||||||publish
//	||||||||||confirm_minutes
//	|||||||||||confirm_followup
//	||||||||||||report_progress
//	|||||||||||||audit_record
//	||||||||||||||read_records
//	|||||||||||||||issue_bind_code
//	||||||||||||||||list_pending
//	|||||||||||||||||resubmit
//	||||||||||||||||||add_followup
//	|||||||||||||||||||clerk
//	||||||||||||||||||||name_clerk
//	|||||||||||||||||||||confirm_count
//	||||||||||||||||||||||object
//	|||||||||||||||||||||||answer_objection
//	||||||||||||||||||||||||confirm_walk_in
//	|||||||||||||||||||||||||read_stats
//	||||||||||||||||||||||||||download_backup
func matrixRows() []matrixRow {
	return []matrixRow{
		{"secretary", "党组织书记", member("s", RoleSecretary), nil, nil, "YYYNNNNNNYNNYNYYYNYNNNYNNYY"},
		{"secretary_no_chair", "党组织书记(议题未指定主持人)", member("s", RoleSecretary), func(t *Topic) { t.Chair = "" }, nil, "YYYYYYNNNYNNYNYYYNYNNNYNNYY"},
		{"secretary_in_group", "党组织书记·在群里", member("s", RoleSecretary), nil, func(a *Actor) { a.InGroup = true }, "YNYNNNNNNYNNYNYYNNYNNNYNNYY"},
		{"party_member", "党组织成员", member("p", RolePartyMember), nil, nil, "YYYNNNNNNNNNYNYYYNNNNNYNNNN"},
		{"director", "村(居)委会主任", member("d", RoleDirector), nil, nil, "YNYNNNNNNNNNYNYYNNNNNNYNNYY"},
		{"committee", "两委成员", member("c", RoleCommittee), nil, nil, "YNYNNNNNNNNNYNYYNNNNNNYNNNN"},
		{"supervisor", "监督委员会成员", member("v", RoleSupervisor), nil, nil, "YNNNNNNNNNNYYYYNNNNNNYYNNYN"},
		{"supervisor_reporter", "监督委员会成员·本事项的反馈人", member("v", RoleSupervisor), nil, func(a *Actor) { a.Reporter = true }, "YNNNNNNNNNNNYYYNNNNNNYYNNYN"},
		{"representative", "村(居)民代表", member("r", RoleRepresentative), nil, nil, "YNNNNNNNNNNNNNYNNNNNNNYNNNN"},
		{"resident", "居民", member("x", RoleResident), nil, nil, "YNNNNNNNNNNNNNYNNNNNNNYNNNN"},
		{"observer", "列席/旁听", member("o", RoleObserver), nil, nil, "NNNNNNNNNNNNNNYNNNNNNNNNNNN"},
		{"not_on_roster", "不在名册上", nil, nil, nil, "NNNNNNNNNNNNNNNNNNNNNNNNNNN"},
		{"proposer", "本议题提议人(居民)", member("prop", RoleResident), nil, nil, "YNNNNNNNNNNNNNYNNYNNNNYNNNN"},
		{"chair", "本议题主持人(居民)", member("chair", RoleResident), nil, nil, "YNNYYYNNNYNNYNYNNNYNYYYYYNN"},
		{"recorder", "本议题记录员(居民)", member("recorder", RoleResident), nil, nil, "YNNNNNNNNYYNYNYNNNYYNNYNNNN"},
		{"participant_present", "协商主体·已签到(居民)", member("here", RoleResident), nil, nil, "YNNNNNYYYNNNNNYNNNNNNNYNNNN"},
		{"participant_absent", "协商主体·未签到(居民)", member("away", RoleResident), nil, nil, "YNNNNNYYNNNNNNYNNNNNNNYNNNN"},
		{"observer_participant", "列席人员·已签到", member("guest", RoleObserver), nil, nil, "NNNNNNYYNNNNNNYNNNNNNNNNNNN"},
	}
}

func member(id string, roles ...Role) *Member {
	return &Member{ID: id, Name: "成员" + id, Roles: roles}
}

func matrixTopic() *Topic {
	return &Topic{
		ID: "7", Title: "健身路径选址", Stage: StageVoting, Proposer: "prop",
		Chair: "chair", Recorder: "recorder", Supervisor: "v",
		Participants: []string{"here", "away", "guest"},
		Attendance:   map[string]time.Time{"here": time.Unix(0, 0), "guest": time.Unix(0, 0)},
	}
}

// actual runs Authorize for one row and returns its Y/N string, checking
// every refusal on the way.
func actual(t *testing.T, r matrixRow) string {
	t.Helper()
	var b strings.Builder
	for _, a := range matrixColumns {
		topic := matrixTopic()
		if r.topic != nil {
			r.topic(topic)
		}
		actor := Actor{Member: r.member}
		if r.actor != nil {
			r.actor(&actor)
		}
		err := Authorize(actor, a, topic)
		if err == nil {
			b.WriteByte('Y')
			continue
		}
		b.WriteByte('N')
		if code := ErrorCode(err); code != EFORBIDDEN {
			t.Errorf("%s × %s: code %q, want %q", r.key, a, code, EFORBIDDEN)
		}
		if !isChineseMessage(ErrorMessage(err)) {
			t.Errorf("%s × %s: refusal message %q is not a Chinese explanation", r.key, a, ErrorMessage(err))
		}
	}
	return b.String()
}

func isChineseMessage(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func TestPermissionMatrixCoversEverything(t *testing.T) {
	if len(matrixColumns) != len(AllActions) {
		t.Fatalf("matrix has %d columns, AllActions has %d: add the new action to the matrix", len(matrixColumns), len(AllActions))
	}
	for i, a := range AllActions {
		if matrixColumns[i] != a {
			t.Errorf("column %d is %q, AllActions has %q", i, matrixColumns[i], a)
		}
		if a.Chinese() == "" {
			t.Errorf("action %q has no Chinese name", a)
		}
	}
	seen := map[Role]bool{}
	for _, r := range matrixRows() {
		if r.member != nil && len(r.member.Roles) == 1 && r.key == string(r.member.Roles[0]) {
			seen[r.member.Roles[0]] = true
		}
	}
	for _, r := range AllRoles {
		if !seen[r] {
			t.Errorf("role %q has no row in the permission matrix", r)
		}
	}
}

func TestPermissionMatrix(t *testing.T) {
	for _, r := range matrixRows() {
		if len(r.allowed) != len(matrixColumns) {
			t.Fatalf("row %s has %d letters, want %d", r.key, len(r.allowed), len(matrixColumns))
		}
		if got := actual(t, r); got != r.allowed {
			var diff []string
			for i := range got {
				if got[i] != r.allowed[i] {
					diff = append(diff, fmt.Sprintf("%s: got %c want %c", matrixColumns[i], got[i], r.allowed[i]))
				}
			}
			t.Errorf("%s (%s): %s\n  got  %s\n  want %s", r.key, r.label, strings.Join(diff, "; "), got, r.allowed)
		}
	}
}

// With no topic at hand every topic-scoped action is refused, without panics.
func TestAuthorizeWithoutTopic(t *testing.T) {
	scoped := map[Action]bool{ActOpenMeeting: true, ActOpenVote: true, ActCloseVote: true,
		ActCheckIn: true, ActSpeak: true, ActVote: true, ActConfirmMinutes: true}
	for _, r := range matrixRows() {
		for _, a := range AllActions {
			err := Authorize(Actor{Member: r.member}, a, nil)
			if scoped[a] && err == nil {
				t.Errorf("%s may %s with no topic", r.key, a)
			}
			if err != nil && ErrorCode(err) != EFORBIDDEN {
				t.Errorf("%s × %s with no topic: %v", r.key, a, err)
			}
		}
	}
}

func TestAuthorizeUnknownAction(t *testing.T) {
	err := Authorize(Actor{Member: member("s", RoleSecretary)}, Action("bogus"), matrixTopic())
	if ErrorCode(err) != EFORBIDDEN {
		t.Fatalf("unknown action: %v, want EFORBIDDEN", err)
	}
}

// A member holding several roles gets the union of their permissions.
func TestAuthorizeCombinedRoles(t *testing.T) {
	m := member("here", RoleResident, RoleSupervisor)
	for _, a := range []Action{ActVote, ActAuditRecord, ActConfirmFollowUp} {
		if err := Authorize(Actor{Member: m}, a, matrixTopic()); err != nil {
			t.Errorf("resident+supervisor participant may %s: %v", a, err)
		}
	}
	// Observer plus another role is not "only an observer": may propose.
	if err := Authorize(Actor{Member: member("o", RoleObserver, RoleResident)}, ActPropose, nil); err != nil {
		t.Errorf("observer who is also a resident may propose: %v", err)
	}
}

// permissionsMarkdown renders the matrix from Authorize itself, for the README.
func permissionsMarkdown(t *testing.T) string {
	var b strings.Builder
	b.WriteString("# 权限表\n\n")
	b.WriteString("由 `go test ./bot -run TestPermissionsGolden -update` 根据 `bot.Authorize` 生成，请勿手工修改。")
	b.WriteString("✓ 允许，✗ 拒绝(回复中说明依据)。按议题的角色(主持人、记录员、协商主体)只在该议题上有效；")
	b.WriteString("按议题的各行都是普通居民(或列席人员)，只显示议题角色本身的权限。\n\n")
	b.WriteString("| 角色 |")
	for _, a := range matrixColumns {
		b.WriteString(" " + a.Chinese() + " |")
	}
	b.WriteString("\n|---|")
	for range matrixColumns {
		b.WriteString(":-:|")
	}
	b.WriteString("\n")
	for _, r := range matrixRows() {
		b.WriteString("| " + r.label + " |")
		for _, c := range actual(t, r) {
			if c == 'Y' {
				b.WriteString(" ✓ |")
			} else {
				b.WriteString(" ✗ |")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestPermissionsGolden(t *testing.T) {
	golden(t, filepath.Join("testdata", "permissions.md"), permissionsMarkdown(t))
}

// golden compares got with the file, rewriting it under -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update): %v", err)
	}
	if string(want) != got {
		t.Errorf("%s is out of date; run go test ./bot -update\n--- got\n%s", path, got)
	}
}
