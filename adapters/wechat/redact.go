package wechat

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/eatmoreapple/openwechat"
)

// redact drops the query string from URLs inside err: openwechat puts the
// session keys (skey, sid, pass_ticket) in every URL, and they must not
// reach the log.
func redact(err error) error {
	var ue *url.Error
	if err == nil || !errors.As(err, &ue) {
		return err
	}
	u, perr := url.Parse(ue.URL)
	where := "(url)"
	if perr == nil {
		where = u.Scheme + "://" + u.Host + u.Path
	}
	out := &redactedError{msg: fmt.Sprintf("%s %s: %v", ue.Op, where, ue.Err), errs: []error{ue.Err}}
	if openwechat.IsNetworkError(err) {
		out.msg = "wechat network error: " + out.msg
		out.errs = append(out.errs, openwechat.NetworkErr)
	}
	return out
}

type redactedError struct {
	msg  string
	errs []error
}

func (e *redactedError) Error() string   { return e.msg }
func (e *redactedError) Unwrap() []error { return e.errs }
