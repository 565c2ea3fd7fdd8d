package engine

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/yishi-community/yishi/bot"
)

// BindCodeTTL is how long a one-time binding code stays valid.
const BindCodeTTL = 24 * time.Hour

// IssueBindCode gives an administrator a one-time code for a roster member,
// who sends it privately to bind their platform account (Telegram user id,
// WeChat friend) to the roster entry.
func (tx *Tx) IssueBindCode(comm string, actor *bot.Member, who string) (code string, m *bot.Member, err error) {
	c, err := tx.comm(comm)
	if err != nil {
		return "", nil, err
	}
	if err := bot.Authorize(bot.Actor{Member: actor}, bot.ActIssueBindCode, nil); err != nil {
		return "", nil, err
	}
	m, err = tx.FindMember(comm, who)
	if err != nil {
		return "", nil, err
	}
	for {
		n, err := rand.Int(rand.Reader, big.NewInt(900000))
		if err != nil {
			return "", nil, fmt.Errorf("generate bind code: %w", err)
		}
		code = fmt.Sprintf("%06d", n.Int64()+100000)
		if _, bc := tx.findCode(code); bc == nil && tx.e.scanCode(code, tx.now, tx.e.notServedLocked) == nil {
			break // unique in the whole store: another process's communities too
		}
	}
	bc := &bindCode{Code: code, Member: m.ID, Expires: tx.now.Add(BindCodeTTL)}
	sum := sha256.Sum256([]byte(comm + "/" + code))
	if err := tx.emit(c, "", actor.ID, BindCodeIssued{Member: m.ID, CodeHash: hex.EncodeToString(sum[:]), Expires: bc.Expires}); err != nil {
		return "", nil, err
	}
	c.codes[code] = bc
	tx.putJSON(codeKey(comm, code), bc)
	return code, m, nil
}

// FindMember finds a roster member by id or by name; a name shared by two
// members is refused with both listed.
func (tx *Tx) FindMember(comm, who string) (*bot.Member, error) {
	c, err := tx.comm(comm)
	if err != nil {
		return nil, err
	}
	who = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(who), "@"))
	if m := c.member(who); m != nil {
		return m, nil
	}
	ms := c.cfg.MemberByName(who)
	switch len(ms) {
	case 0:
		return nil, bot.Errorf(bot.ENOTFOUND, "名册上没有「%s」。", who)
	case 1:
		return ms[0], nil
	}
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ID + "(" + m.RoleLabel() + ")"
	}
	return nil, bot.Errorf(bot.EINVALID, "名册上有%d位「%s」：%s。请改用编号。", len(ms), who, strings.Join(ids, "、"))
}

func (tx *Tx) findCode(code string) (*community, *bindCode) {
	for _, id := range tx.e.order {
		if bc := tx.e.comms[id].codes[code]; bc != nil {
			return tx.e.comms[id], bc
		}
	}
	return nil, nil
}

// PeekBindCode checks a code without using it.
func (tx *Tx) PeekBindCode(code string) (comm string, m *bot.Member, err error) {
	c, bc := tx.findCode(strings.TrimSpace(code))
	if bc == nil || !tx.now.Before(bc.Expires) {
		return "", nil, bot.Errorf(bot.ENOTFOUND, "绑定码不正确或已过期(有效期24小时，只能用一次)。请向工作人员重新要一个。")
	}
	return c.cfg.ID, c.member(bc.Member), nil
}

// Bind uses a code: from now on identity on platform is that member.
func (tx *Tx) Bind(platform, identity, code string) (comm string, m *bot.Member, err error) {
	comm, m, err = tx.PeekBindCode(code)
	if err != nil {
		return "", nil, err
	}
	c := tx.e.comms[comm]
	// One identity per member and platform: drop an earlier binding.
	for k, v := range c.bindings {
		if v == m.ID && strings.HasPrefix(k, platform+"\x00") && k != platform+"\x00"+identity {
			old := strings.TrimPrefix(k, platform+"\x00")
			tx.put(bindKey(comm, platform, old), nil)
			tx.put(bindIndexKey(platform, old, comm), nil)
		}
	}
	if err := tx.emit(c, "", m.ID, Bound{Platform: platform, Identity: identity, Member: m.ID}); err != nil {
		return "", nil, err
	}
	tx.put(bindIndexKey(platform, identity, comm), []byte(m.ID))
	delete(c.codes, strings.TrimSpace(code))
	tx.put(codeKey(comm, strings.TrimSpace(code)), nil)
	return comm, m, nil
}

// bindIndexKey indexes a binding by identity across communities, so that a
// process finds which community, served by another process, a code-bound
// member belongs to (their identity is in that community's state only).
func bindIndexKey(platform, identity, comm string) []byte {
	return []byte("bindidx/" + platform + "/" + identity + "/" + comm)
}
