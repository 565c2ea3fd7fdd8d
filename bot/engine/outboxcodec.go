package engine

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"time"

	"github.com/yishi-community/yishi/bot"
)

// An outbox entry is written for almost every action (a vote's
// acknowledgement, every notice), so it is stored compactly: a version byte,
// the creation time, then the fields as length-prefixed strings. Entries in
// the first format (JSON, starting with '{') and in version 1 (without the
// receipt fields For and Answers) are still read.
const (
	outboxCodecV1 = 1
	outboxCodecV2 = 2
)

func encodeOutbox(e *OutboxEntry) []byte {
	o := e.Out
	buf := make([]byte, 0, 64+len(o.Text))
	buf = append(buf, outboxCodecV2)
	buf = binary.AppendVarint(buf, e.Created.UnixNano())
	for _, s := range []string{o.Platform, o.Chat, o.ChatTitle, o.Member, o.Community, o.Key, o.MergeKey, o.Text, o.For, o.Answers} {
		buf = binary.AppendUvarint(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	var flags byte
	if o.Private {
		flags |= 1
	}
	buf = append(buf, flags)
	if len(o.Buttons) > 0 {
		b, _ := json.Marshal(o.Buttons) // labels and data only: always marshals
		buf = append(buf, b...)
	}
	return buf
}

var errOutboxCodec = errors.New("malformed outbox entry")

func decodeOutbox(seq uint64, v []byte) (*OutboxEntry, error) {
	if len(v) > 0 && v[0] == '{' {
		var e OutboxEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, err
		}
		return &e, nil
	}
	if len(v) == 0 || (v[0] != outboxCodecV1 && v[0] != outboxCodecV2) {
		return nil, errOutboxCodec
	}
	n := 8
	if v[0] == outboxCodecV2 {
		n = 10
	}
	v = v[1:]
	created, k := binary.Varint(v)
	if k <= 0 {
		return nil, errOutboxCodec
	}
	v = v[k:]
	var fields [10]string
	for i := range n {
		l, n := binary.Uvarint(v)
		if n <= 0 || uint64(len(v)-n) < l {
			return nil, errOutboxCodec
		}
		fields[i] = string(v[n : n+int(l)])
		v = v[n+int(l):]
	}
	if len(v) == 0 {
		return nil, errOutboxCodec
	}
	out := bot.Outgoing{Platform: fields[0], Chat: fields[1], ChatTitle: fields[2], Member: fields[3],
		Community: fields[4], Key: fields[5], MergeKey: fields[6], Text: fields[7], For: fields[8], Answers: fields[9], Private: v[0]&1 != 0}
	if rest := v[1:]; len(rest) > 0 {
		if err := json.Unmarshal(rest, &out.Buttons); err != nil {
			return nil, err
		}
	}
	return &OutboxEntry{Seq: seq, Out: out, Created: time.Unix(0, created).UTC()}, nil
}
