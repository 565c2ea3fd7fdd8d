package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/yishi-community/yishi/bot"
)

// A ballot is stored as "choice|unix-nanoseconds|changes" (e.g.
// "for|1764556800000000000|0"): there is one per voter, and a cold start
// with 100,000 of them spent most of its time decoding JSON.
func (b *ballot) encode() []byte {
	out := make([]byte, 0, 32)
	out = append(out, b.Choice...)
	out = append(out, '|')
	out = strconv.AppendInt(out, b.At.UnixNano(), 10)
	out = append(out, '|')
	return strconv.AppendInt(out, int64(b.Changes), 10)
}

func decodeBallot(v []byte) (*ballot, error) {
	if len(v) > 0 && v[0] == '{' { // the first format, JSON
		var b ballot
		if err := json.Unmarshal(v, &b); err != nil {
			return nil, err
		}
		return &b, nil
	}
	parts := bytes.Split(v, []byte("|"))
	if len(parts) != 3 {
		return nil, errors.New("ballot: want choice|time|changes")
	}
	ns, err1 := strconv.ParseInt(string(parts[1]), 10, 64)
	ch, err2 := strconv.Atoi(string(parts[2]))
	c := bot.Choice(parts[0])
	if err1 != nil || err2 != nil || (c != bot.ChoiceFor && c != bot.ChoiceAgainst && c != bot.ChoiceAbstain) {
		return nil, errors.New("ballot: malformed")
	}
	return &ballot{Choice: c, At: time.Unix(0, ns).UTC(), Changes: ch}, nil
}
