package wechat

import (
	"fmt"
	"io"

	"github.com/eatmoreapple/openwechat"
	qrcode "github.com/skip2/go-qrcode"
)

// loginURL is what WeChat's login QR code encodes.
func loginURL(uuid string) string { return "https://login.weixin.qq.com/l/" + uuid }

// showQR draws the login QR code in the terminal and prints the image URL
// (openwechat's default opens a browser, which a server does not have).
func showQR(w io.Writer, uuid string) {
	fmt.Fprintln(w, "请用机器人专用的微信号扫描下面的二维码登录（二维码几分钟后失效，失效后会自动换新）：")
	if q, err := qrcode.New(loginURL(uuid), qrcode.Low); err == nil {
		fmt.Fprint(w, q.ToSmallString(false))
	}
	fmt.Fprintf(w, "若二维码显示不全，请在浏览器打开：%s\n", openwechat.GetQrcodeUrl(uuid))
}
