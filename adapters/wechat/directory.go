package wechat

import (
	"context"
	"fmt"
	"strings"

	"github.com/eatmoreapple/openwechat"
)

// contact is a friend of the bot account in the current session.
type contact struct {
	userName string // changes at every login
	nick     string
	remark   string // 备注: the member key once bound
}

// groupInfo is a configured group resolved in the current session.
type groupInfo struct {
	name     string // as in the config
	userName string
	members  map[string]groupMember // by UserName
}

type groupMember struct{ nick, display string }

// directory maps the session's unstable UserNames to stable names. It is
// built from the contact list at each login and guarded by Adapter.mu.
type directory struct {
	friends  map[string]*contact // by UserName
	groups   map[string]*groupInfo
	byUser   map[string]*groupInfo // groups by UserName
	problems []string
}

func (d *directory) friendsByRemark(remark string) []*contact {
	var out []*contact
	for _, c := range d.friends {
		if c.remark == remark {
			out = append(out, c)
		}
	}
	return out
}

// fetchDirectory loads friends and the configured groups with their
// members. It uses openwechat's Caller directly rather than Self's caches,
// which the sync goroutine mutates without locks.
func (c *conn) fetchDirectory(ctx context.Context, groupNames []string) (*directory, error) {
	b := c.bot
	members, err := b.Caller.WebWxGetContact(ctx, b.Storage.LoginInfo)
	if err != nil {
		return nil, fmt.Errorf("get contacts: %w", redact(err))
	}
	// Groups not saved to the contact list only show up in webwxinit's
	// recent chats.
	if resp := c.initContacts; resp != nil {
		members = append(members, resp...)
	}
	d := &directory{friends: map[string]*contact{}, groups: map[string]*groupInfo{}, byUser: map[string]*groupInfo{}}
	byName := map[string][]*openwechat.User{}
	seen := map[string]bool{}
	for _, m := range members {
		if m == nil || seen[m.UserName] || m.UserName == c.selfUser {
			continue
		}
		seen[m.UserName] = true
		switch {
		case strings.HasPrefix(m.UserName, "@@"):
			name := openwechat.FormatEmoji(m.NickName)
			byName[name] = append(byName[name], m)
		case strings.HasPrefix(m.UserName, "@") && m.VerifyFlag == 0:
			d.friends[m.UserName] = &contact{userName: m.UserName, nick: openwechat.FormatEmoji(m.NickName), remark: openwechat.FormatEmoji(m.RemarkName)}
		}
	}
	var want openwechat.Members
	for _, name := range groupNames {
		found := byName[name]
		switch len(found) {
		case 0:
			d.problems = append(d.problems, fmt.Sprintf("配置中的微信群「%s」登录后没有找到：可能已改名、机器人账号已不在群里，或该群没有“保存到通讯录”。议事助手暂不在该群工作，请管理员检查群名和配置。", name))
		case 1:
			g := &groupInfo{name: name, userName: found[0].UserName, members: map[string]groupMember{}}
			d.groups[name] = g
			d.byUser[g.userName] = g
			want = append(want, found[0])
		default:
			d.problems = append(d.problems, fmt.Sprintf("有 %d 个同名的微信群「%s」，无法确定是哪一个，议事助手暂不在这些群工作。请给议事群改一个唯一的群名。", len(found), name))
		}
	}
	if err := c.loadMembers(ctx, d, want); err != nil {
		return nil, err
	}
	return d, nil
}

// loadMembers fills in the member lists of groups (webwxbatchgetcontact).
func (c *conn) loadMembers(ctx context.Context, d *directory, groups openwechat.Members) error {
	for start := 0; start < len(groups); start += 50 {
		end := min(start+50, len(groups))
		list, err := c.bot.Caller.WebWxBatchGetContact(ctx, groups[start:end], c.bot.Storage.Request)
		if err != nil {
			return fmt.Errorf("get group members: %w", redact(err))
		}
		for _, u := range list {
			g := d.byUser[u.UserName]
			if g == nil {
				continue
			}
			for _, m := range u.MemberList {
				g.members[m.UserName] = groupMember{nick: openwechat.FormatEmoji(m.NickName), display: openwechat.FormatEmoji(m.DisplayName)}
			}
		}
	}
	return nil
}
