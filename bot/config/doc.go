// Package config reads community configuration files.
//
// One yishi process serves many communities. A config directory holds one
// YAML file per community (LoadDir); with no directory the embedded sample
// village 后陈村 is used (Sample), so `go run ./cmd/yishi` works with no file.
//
// A file looks like this (every field, with its default; FORMAT.md explains
// each one):
//
//	id: houchen                 # stable key, [a-z0-9-]+, unique across files
//	name: 后陈村                 # display name
//	kind: village               # village | community (城市社区); default village
//	timezone: Asia/Shanghai     # IANA name; default Asia/Shanghai
//	default_preset: yishi       # yishi | representatives | villagers | residents (key or Chinese name)
//	proposal_timeout: 30m       # an idle conversational flow is cancelled; default 30m, at least 1m
//	groups:                     # at least one
//	  - name: 后陈村议事群         # shown in messages; default the chat
//	    platform: console       # console | telegram | wechat
//	    chat: 后陈村议事群         # console, wechat: group name; telegram: numeric chat id
//	roster:
//	  - id: zhangjianguo        # [a-z0-9_-]+, unique in the community
//	    name: 张建国              # names may repeat; console identities may not
//	    roles: [secretary]      # bot.Role keys or Chinese names (书记, 监委, 代表…), at least one
//	    identities:             # optional; console defaults to the name
//	      telegram: "100001"    # numeric user id
//	      wechat: zhangjianguo  # remark name
//	reminders:                  # follow-up reminders to the supervision committee
//	  cron: "0 9 * * *"         # robfig/cron/v3 standard spec; default "0 9 * * *"
//	  timezone: Asia/Shanghai   # default the community's
//	  due_within_days: 3        # default 3  (0…365)
//	  stale_days: 7             # default 7  (0…365)
//	  escalate_after_days: 7    # default 7  (0…365)
//	  quiet_hours: "21:00-08:00" # default 21:00-08:00; none for no quiet hours
//	eligible: 0                 # statutory base of assembly presets; 0: the invited count
//
// The roster must hold at least one 党组织书记 (secretary) and one 监督委员会
// 成员 (supervisor): the process cannot run without them.
//
// An invalid file yields one *Error, "file:line: field: message", with the
// message in Chinese for the operator and the field as its English path:
//
//	houchen.yaml:23: roster[3].roles[0]: 未知的角色 "mayor"（可用：secretary 党组织书记, …）
//
// Lines come from goccy/go-yaml: decoder errors carry their token; semantic
// checks name a field path and resolve it with YAMLPath on the parsed AST.
package config
