package bot

import "slices"

// Role is a standing role of a member in a community (the roster).
type Role string

// Standing roles, from PROCESS.md "Participants". The string values are the
// keys used in the YAML community file.
const (
	RoleSecretary      Role = "secretary"      // 党组织书记
	RolePartyMember    Role = "party_member"   // 党组织成员
	RoleDirector       Role = "director"       // 村(居)委会主任
	RoleCommittee      Role = "committee"      // 两委成员
	RoleSupervisor     Role = "supervisor"     // 监督委员会成员
	RoleRepresentative Role = "representative" // 村(居)民代表
	RoleResident       Role = "resident"       // 居民
	RoleObserver       Role = "observer"       // 列席/旁听: never votes
)

// AllRoles lists the standing roles in display order.
var AllRoles = []Role{RoleSecretary, RolePartyMember, RoleDirector, RoleCommittee,
	RoleSupervisor, RoleRepresentative, RoleResident, RoleObserver}

var roleNames = map[Role]string{
	RoleSecretary:      "党组织书记",
	RolePartyMember:    "党组织成员",
	RoleDirector:       "村(居)委会主任",
	RoleCommittee:      "两委成员",
	RoleSupervisor:     "监督委员会成员",
	RoleRepresentative: "村(居)民代表",
	RoleResident:       "居民",
	RoleObserver:       "列席/旁听",
}

// Valid reports whether r is one of the standing roles.
func (r Role) Valid() bool { _, ok := roleNames[r]; return ok }

// Chinese returns the role's Chinese name.
func (r Role) Chinese() string {
	if n, ok := roleNames[r]; ok {
		return n
	}
	return string(r)
}

// RoleByName finds a role by its key or its Chinese name (村委会主任 and
// 居委会主任 both match the director).
func RoleByName(s string) (Role, bool) {
	if Role(s).Valid() {
		return Role(s), true
	}
	for r, n := range roleNames {
		if n == s {
			return r, true
		}
	}
	switch s {
	case "书记", "党支部书记", "党委书记":
		return RoleSecretary, true
	case "主任", "村委会主任", "居委会主任":
		return RoleDirector, true
	case "两委", "委员":
		return RoleCommittee, true
	case "监委", "监督委员", "监委会成员", "监督员":
		return RoleSupervisor, true
	case "代表", "村民代表", "居民代表":
		return RoleRepresentative, true
	case "村民", "群众":
		return RoleResident, true
	case "列席", "旁听":
		return RoleObserver, true
	}
	return "", false
}

// Member is a person on a community's roster.
type Member struct {
	ID    string `json:"id"`   // stable key, unique in the community (e.g. "zhangsan")
	Name  string `json:"name"` // display name (张三)
	Roles []Role `json:"roles"`
	// Identities maps a platform ("console", "telegram", "wechat") to the
	// member's identity there (console: the display name; telegram: the
	// numeric user id; wechat: the remark key).
	Identities map[string]string `json:"identities,omitempty"`
}

// Has reports whether the member holds role r.
func (m *Member) Has(r Role) bool { return m != nil && slices.Contains(m.Roles, r) }

// IsObserver reports whether the member only observes (列席/旁听) and so
// never votes.
func (m *Member) IsObserver() bool {
	return m != nil && m.Has(RoleObserver) && len(m.Roles) == 1
}

// RoleLabel is the member's roles in Chinese, joined with "、".
func (m *Member) RoleLabel() string {
	s := ""
	for i, r := range m.Roles {
		if i > 0 {
			s += "、"
		}
		s += r.Chinese()
	}
	return s
}
