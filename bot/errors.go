package bot

import (
	"errors"
	"fmt"
)

// Error codes, in the style of Ben Johnson's wtf: a small fixed set that
// callers switch on, with a Chinese message meant for the person in the chat.
const (
	EINVALID   = "invalid"   // the input is malformed or out of range
	EFORBIDDEN = "forbidden" // the actor's role does not allow the action
	ENOTFOUND  = "not_found" // no such topic, member, item…
	ECONFLICT  = "conflict"  // the action does not fit the current stage
	EINTERNAL  = "internal"  // storage or another internal fault
	// ENOSPACE: the data directory's disk is (nearly) full; the action was
	// refused before anything was applied. The message is
	// 「存储空间不足，本条未记录，请联系管理员。」.
	ENOSPACE = "no_space"
)

// Error is a domain error. Message is shown to users as is, so it is Chinese
// and explains the rule that was applied.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("yishi %s: %s", e.Code, e.Message) }

// Errorf builds a domain error with a user-facing Chinese message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// ErrorMessage returns the Chinese text to show a user for err. Internal
// errors are not described to users (they go to the log).
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Message
	default:
		return "系统内部出错，您的这条消息没有被记录，请稍后再发一次。工作人员已收到日志。"
	}
}
