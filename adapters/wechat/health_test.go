package wechat

import (
	"strings"
	"testing"

	"github.com/yishi-community/yishi/adapters/wechat/wxfake"
)

// TestHealthyFollowsLogin: not healthy before the login, healthy while
// logged in, unhealthy with the reason after the account logged out.
func TestHealthyFollowsLogin(t *testing.T) {
	f := wxfake.New()
	defer f.Close()
	newVillage(f)
	e := newEnv(t, f, withMemberKeys)
	if err := e.a.Healthy(); err == nil || !strings.Contains(err.Error(), "微信尚未登录") {
		t.Fatalf("before login: %v", err)
	}
	e.start()
	if err := e.a.Healthy(); err != nil {
		t.Fatalf("logged in: %v", err)
	}
	f.ForceSyncRet(wxfake.RetLoginCheck)
	e.ended()
	if err := e.a.Healthy(); err == nil || !strings.Contains(err.Error(), "退出登录") || !strings.Contains(err.Error(), "WeChat logged out") {
		t.Fatalf("after logout: %v", err)
	}
}
