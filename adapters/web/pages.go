package web

// The pages: plain HTML, a CJK font stack (install fonts-noto-cjk on
// Debian/Ubuntu to print them), readable on a phone, no JavaScript.
const pagesText = `
{{define "head"}}<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}}</title>
<style>
body{font-family:"Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC","PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;max-width:52em;margin:1em auto;padding:0 1em;line-height:1.6;color:#222}
h1{font-size:1.5em;border-bottom:2px solid #b22;padding-bottom:.2em}
h2{font-size:1.15em;margin-top:1.5em;color:#b22}
.topic{border:1px solid #ddd;border-radius:4px;padding:.5em .8em;margin:.5em 0}
.muted{color:#666;font-size:.9em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}
a{color:#1a4d8f}
</style></head><body>{{end}}
{{define "foot"}}<p class="muted">本页由议事助手根据议事协商记录自动生成，与群里公示的内容一致；每一轮公示都附有审计存证，可用 yishi audit verify --anchor 核对。</p></body></html>{{end}}

{{define "error"}}{{template "head" "未找到"}}<h1>未找到</h1><p>{{.}}</p><p><a href="/">返回公开栏</a></p>{{template "foot"}}{{end}}

{{define "index"}}{{template "head" "村(居)务公开栏"}}<h1>村(居)务公开栏</h1>
<p>请选择社区：</p><ul>{{range .}}<li><a href="/c/{{.ID}}/">{{.Name}}</a></li>{{end}}</ul>{{template "foot"}}{{end}}

{{define "board"}}{{template "head" (print .Community.Name " 村(居)务公开栏")}}
<h1>{{.Community.Name}} 议事协商公开栏</h1>
<p class="muted">更新于 {{.Now}}。开放数据：<a href="/c/{{.Community.ID}}/export/topics.csv">CSV(Excel 可直接打开)</a> · <a href="/c/{{.Community.ID}}/export/topics.json">JSON</a> · <a href="/c/{{.Community.ID}}/export/audit.jsonl">审计日志</a></p>
{{range .Groups}}<h2>{{.Stage}}</h2>
{{range .Topics}}<div class="topic">{{if .Declined}}{{.Declined}}{{else}}
<a href="/c/{{$.Community.ID}}/topics/{{.ID}}">#{{.ID}} {{.Title}}</a>
{{if .Result}}<div>表决结果：{{.Result}}</div>{{end}}
{{if .Next}}<div class="muted">{{.Next}}</div>{{end}}
{{if .Objections}}<div class="muted">{{.Objections}}</div>{{end}}
{{range .Items}}<div class="muted">落实事项：{{.What}}(期限{{.Due}}，{{.Status}})</div>{{end}}
{{end}}</div>{{end}}{{else}}<p>还没有公开的议题。</p>{{end}}
{{template "foot"}}{{end}}

{{define "topic"}}{{template "head" (print "议题 #" .Topic.ID " " .Topic.Title)}}
<p><a href="/c/{{.Community.ID}}/">← {{.Community.Name}} 公开栏</a></p>
{{if .Declined}}<h1>议题 #{{.Topic.ID}}</h1><p>{{.Declined}}</p>{{else}}
<h1>议题 #{{.Topic.ID}} {{.Topic.Title}}</h1>
<p>当前阶段：{{.Stage}}{{if .Category}}；{{.Category}}{{end}}</p>
<p>{{.Topic.Content}}</p>
<p class="muted">涉及：{{.Topic.Affected}}</p>
<h2>协商轮次</h2>
{{range .Rounds}}<div class="topic"><b>第{{.No}}轮</b>{{if .When}}：{{.When}}，{{.Place}}{{end}}
{{if .Published}}<div>表决结果：{{.Result}}</div><div class="muted">{{.Anchor}}</div>
{{range .Objections}}<div class="muted">{{.}}</div>{{end}}
<div><a href="/c/{{$.Community.ID}}/topics/{{$.Topic.ID}}/record.html?round={{.No}}">打印记录表(附件2)</a></div>
{{else}}<div class="muted">尚未公示：公示后公布结果和记录表。</div>{{end}}</div>{{end}}
{{if .Items}}<h2>落实情况</h2>
{{range .Items}}<div class="topic">{{.What}}<div class="muted">责任人{{.Who}}，期限{{.Due}}，{{.Status}}</div>
{{range .History}}<div class="muted">{{.}}</div>{{end}}</div>{{end}}{{end}}
{{end}}{{template "foot"}}{{end}}
`
