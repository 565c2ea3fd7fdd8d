package record

import (
	_ "embed"
	"html/template"
	"strings"
)

//go:embed sheet.html
var sheetHTML string

// sheetTemplate is parsed once; a broken template fails at start-up, not
// when a recorder asks for a sheet.
var sheetTemplate = template.Must(template.New("sheet").Parse(sheetHTML))

// HTML renders the record sheet as a self-contained printable A4 page laid
// out like the paper form. html/template escapes every piece of user text.
func HTML(s Sheet) string {
	var b strings.Builder
	if err := sheetTemplate.Execute(&b, build(s)); err != nil {
		// Only a programming error in the template can get here (the view is
		// plain strings); say so on the page rather than panic in a chat.
		return "<!DOCTYPE html><meta charset=\"utf-8\"><p>记录表生成失败：" + template.HTMLEscapeString(err.Error()) + "</p>"
	}
	return b.String()
}
