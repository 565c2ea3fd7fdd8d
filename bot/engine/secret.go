package engine

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/yishi-community/yishi/bot"
)

// Secret ballots at rest.
//
// While a secret vote is open the engine must remember each choice durably
// (an acknowledged vote survives kill -9; a voter may change it), but once
// it closes nothing may link a member to a choice. The log never holds a
// secret choice (VoteCast carries none; VoteClosed carries the tally). The
// choices live under one prefix per round:
//
//	secret/<community>/<topic>/<round>/key        32 random bytes, made when the vote opens
//	secret/<community>/<topic>/<round>/b/<hmac>   AES-256-GCM(member|choice|unix ns|changes)
//	secret/<community>/<topic>/<round>/o/<seq>    AES-256-GCM(outbox entry): a voter's receipt
//
// The private receipt tells the voter their own choice ("您投了「赞成」"),
// so it too is a member→choice link: it is queued sealed under the round's
// prefix (SendSealed) and erased with it. A receipt still undelivered when
// the round closes is delivered from memory, or lost with the round if the
// process stops first (the result, sent to everyone, follows anyway).
//
// where <hmac> is HMAC-SHA256(key, member) in hex, so even the key names
// say nothing without the key. When the vote closes the key is forgotten in
// memory and, after the close is on disk, the whole prefix is dropped with
// the store's DropPrefix, which rewrites the tables that held it (deleting
// a key in an LSM store is not erasure: old versions stay until
// compaction). A crash between the two leaves the prefix of a closed round;
// the next start drops it.
//
// What an operator with disk access can see: during the vote, the key sits
// beside the ballots, so the choices can be decrypted; after the close,
// neither the key nor the ballots exist.

func secretPrefix(comm, topic string, round int) string {
	return "secret/" + comm + "/" + topic + "/" + strconv.Itoa(round) + "/"
}

// secretRound is an open secret round's key, kept in memory.
type secretRound struct {
	key  []byte
	aead cipher.AEAD
}

func newSecretCipher(key []byte) (*secretRound, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &secretRound{key: key, aead: aead}, nil
}

func (s *secretRound) name(member string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(member))
	return hex.EncodeToString(m.Sum(nil))
}

// newSecretRound makes the key of a secret round when its vote opens.
func (tx *Tx) newSecretRound(c *community, t *bot.Topic) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic(fmt.Sprintf("engine: random key: %v", err)) // crypto/rand does not fail on Linux
	}
	s, err := newSecretCipher(key)
	if err != nil {
		panic(fmt.Sprintf("engine: secret ballot cipher: %v", err))
	}
	c.secrets[t.ID] = s
	tx.put([]byte(secretPrefix(c.cfg.ID, t.ID, t.Round)+"key"), key)
}

func (tx *Tx) putSecretBallot(c *community, t *bot.Topic, member string, b *ballot) {
	s := c.secrets[t.ID]
	if s == nil {
		panic("engine: secret ballot without a round key") // VoteOpened made it
	}
	prefix := secretPrefix(c.cfg.ID, t.ID, t.Round)
	plain := []byte(member + "|" + string(b.Choice) + "|" + strconv.FormatInt(b.At.UnixNano(), 10) + "|" + strconv.Itoa(b.Changes))
	tx.put([]byte(prefix+"b/"+s.name(member)), s.seal(prefix, plain))
}

func (s *secretRound) seal(prefix string, plain []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(fmt.Sprintf("engine: random nonce: %v", err))
	}
	return s.aead.Seal(nonce, nonce, plain, []byte(prefix))
}

// SendSealed queues a private message that reveals a secret ballot's
// choice (the voter's own receipt): while topic id's secret round is open
// it is stored encrypted under the round's prefix, so the erasure at the
// close removes it with the ballots; the receipt of the vote that closed the
// round is kept in memory only. Outside a secret ballot it is an ordinary
// message.
func (tx *Tx) SendSealed(comm, id string, out bot.Outgoing) {
	c := tx.e.comms[comm]
	var t *bot.Topic
	var s *secretRound
	if c != nil {
		t, s = c.topics[id], c.secrets[id]
	}
	switch {
	case t == nil || t.Plan.Ballot != bot.BallotSecret || out.Key != "" || out.MergeKey != "":
		tx.Send(out)
		return
	case s == nil:
		// The vote that this receipt answers closed the round (the last
		// voter): its prefix is being erased, so the receipt is kept in
		// memory only.
		tx.send(out, func(e *OutboxEntry) { e.ephemeral = true })
		return
	}
	prefix := secretPrefix(c.cfg.ID, t.ID, t.Round)
	tx.send(out, func(e *OutboxEntry) {
		e.storeKey = []byte(prefix + "o/" + fmt.Sprintf("%020d", e.Seq))
		tx.put(e.storeKey, s.seal(prefix, encodeOutbox(e)))
	})
}

// eraseSecretRound forgets a closed round's key and drops its prefix once
// the close is on disk (Engine.Do).
func (tx *Tx) eraseSecretRound(c *community, t *bot.Topic) {
	delete(c.secrets, t.ID)
	tx.drops = append(tx.drops, secretPrefix(c.cfg.ID, t.ID, t.Round))
}

// loadSecrets reads the open secret rounds' keys and ballots of a community
// and lists the prefixes of rounds that are no longer open (a crash between
// a close and its erasure), to drop.
func (e *Engine) loadSecrets(c *community) (stale []string, err error) {
	type roundData struct {
		key     []byte
		ballots [][]byte
		sealed  map[string][]byte // receipts: key → sealed outbox entry
	}
	rounds := map[string]*roundData{}
	base := "secret/" + c.cfg.ID + "/"
	err = e.store.Scan([]byte(base), func(k, v []byte) (bool, error) {
		rest := strings.TrimPrefix(string(k), base)
		parts := strings.SplitN(rest, "/", 3)
		if len(parts) != 3 {
			return true, nil
		}
		p := base + parts[0] + "/" + parts[1] + "/"
		if rounds[p] == nil {
			rounds[p] = &roundData{}
		}
		switch {
		case parts[2] == "key":
			rounds[p].key = bytes.Clone(v)
		case strings.HasPrefix(parts[2], "b/"):
			rounds[p].ballots = append(rounds[p].ballots, bytes.Clone(v))
		case strings.HasPrefix(parts[2], "o/"):
			if rounds[p].sealed == nil {
				rounds[p].sealed = map[string][]byte{}
			}
			rounds[p].sealed[string(k)] = bytes.Clone(v)
		}
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read secret ballots: %w", err)
	}
	for p, rd := range rounds {
		parts := strings.Split(strings.TrimPrefix(p, base), "/")
		t := c.topics[parts[0]]
		if t == nil || t.Stage != bot.StageVoting || t.Plan.Ballot != bot.BallotSecret || strconv.Itoa(t.Round) != parts[1] || rd.key == nil {
			stale = append(stale, p)
			continue
		}
		s, err := newSecretCipher(rd.key)
		if err != nil {
			return nil, fmt.Errorf("secret ballot key of #%s: %w", t.ID, err)
		}
		c.secrets[t.ID] = s
		for _, v := range rd.ballots {
			member, b, err := s.open(p, v)
			if err != nil {
				return nil, fmt.Errorf("社区 %s 议题 #%s 的无记名选票无法解密(数据已损坏)：%w / a secret ballot of topic #%s cannot be decrypted", c.cfg.ID, t.ID, err, t.ID)
			}
			if c.ballots[t.ID] == nil {
				c.ballots[t.ID] = map[string]*ballot{}
			}
			c.ballots[t.ID][member] = b
		}
		for k, v := range rd.sealed {
			if err := e.loadSealed(c, s, p, k, v); err != nil {
				return nil, fmt.Errorf("社区 %s 议题 #%s 的无记名表决回执无法读取(数据已损坏)：%w / a secret ballot receipt of topic #%s cannot be read", c.cfg.ID, t.ID, err, t.ID)
			}
		}
	}
	return stale, nil
}

// loadSealed puts a sealed receipt of an open round back in the outbox.
func (e *Engine) loadSealed(c *community, s *secretRound, prefix, key string, v []byte) error {
	if e.outbox == nil { // audit verify's engine delivers nothing
		return nil
	}
	seq, err := strconv.ParseUint(key[strings.LastIndexByte(key, '/')+1:], 10, 64)
	if err != nil {
		return err
	}
	n := s.aead.NonceSize()
	if len(v) < n {
		return errors.New("too short")
	}
	plain, err := s.aead.Open(nil, v[:n], v[n:], []byte(prefix))
	if err != nil {
		return err
	}
	oe, err := decodeOutbox(seq, plain)
	if err != nil {
		return err
	}
	oe.storeKey = []byte(key)
	c.receipts = append(c.receipts, oe)
	return nil
}

func (s *secretRound) open(prefix string, v []byte) (string, *ballot, error) {
	n := s.aead.NonceSize()
	if len(v) < n {
		return "", nil, errors.New("too short")
	}
	plain, err := s.aead.Open(nil, v[:n], v[n:], []byte(prefix))
	if err != nil {
		return "", nil, err
	}
	f := strings.Split(string(plain), "|")
	if len(f) != 4 {
		return "", nil, errors.New("malformed")
	}
	ns, err1 := strconv.ParseInt(f[2], 10, 64)
	ch, err2 := strconv.Atoi(f[3])
	if err1 != nil || err2 != nil || !bot.Choice(f[1]).Valid() {
		return "", nil, errors.New("malformed")
	}
	return f[0], &ballot{Choice: bot.Choice(f[1]), At: time.Unix(0, ns).UTC(), Changes: ch}, nil
}
