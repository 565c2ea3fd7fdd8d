// Package opinion asks a language model for a second opinion on a
// proposal's screening: an OpenAI-compatible chat endpoint (a local server
// such as Ollama or llama.cpp, or a hosted one) answers with a JSON verdict
// of a fixed schema and a short reason. The answer is shown to the
// reviewer beside the rule engine's; it never changes the verdict and
// never decides anything alone. It is off by default; when it is on, the
// proposal's text (and nothing else: no names, no chat or member IDs)
// leaves the machine for the configured endpoint. Any failure — time-out
// (10 s at most), HTTP error, an answer outside the schema — is logged and
// ignored: the reviewer then sees the rule engine's screening alone.
package opinion

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goccy/go-yaml"

	"github.com/yishi-community/yishi/bot"
	"github.com/yishi-community/yishi/bot/screening"
)

// MaxTimeout bounds how long the reviewer's screen waits for a model.
const MaxTimeout = 10 * time.Second

// Config is the deployment's second-opinion block, e.g. in YAML:
//
//	second_opinion:
//	  enabled: true
//	  endpoint: http://127.0.0.1:11434/v1   # …/chat/completions is appended
//	  model: qwen2.5:7b
//	  api_key_env: YISHI_LLM_KEY            # optional: env var holding the key
//	  send_proposal_text: true              # required with enabled: the text leaves the machine
//	  timeout: 10s                          # optional, at most 10s
type Config struct {
	Enabled          bool          `yaml:"enabled" json:"enabled"`
	Endpoint         string        `yaml:"endpoint" json:"endpoint"`
	Model            string        `yaml:"model" json:"model"`
	APIKeyEnv        string        `yaml:"api_key_env" json:"api_key_env,omitempty"`
	SendProposalText bool          `yaml:"send_proposal_text" json:"send_proposal_text"`
	Timeout          time.Duration `yaml:"timeout" json:"timeout,omitempty"`
}

// ParseConfig reads a Config from YAML (the block's content, unknown
// fields rejected) and validates it.
func ParseConfig(data []byte) (Config, error) {
	var c Config
	if err := yaml.UnmarshalWithOptions(data, &c, yaml.DisallowUnknownField()); err != nil {
		return Config{}, fmt.Errorf("第二意见配置有误: %w", err)
	}
	return c, c.Validate()
}

// Validate checks an enabled configuration; a disabled one is always
// valid.
func (c Config) Validate() error {
	if !c.Enabled {
		return nil
	}
	var problems []string
	u, err := url.Parse(c.Endpoint)
	if c.Endpoint == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		problems = append(problems, fmt.Sprintf("endpoint %q 应为 http(s):// 开头的地址", c.Endpoint))
	}
	if strings.TrimSpace(c.Model) == "" {
		problems = append(problems, "缺少 model（模型名称）")
	}
	if !c.SendProposalText {
		problems = append(problems, "启用第二意见会把提议文字发送到 endpoint，请同时设置 send_proposal_text: true 以确认")
	}
	if c.Timeout < 0 || c.Timeout > MaxTimeout {
		problems = append(problems, fmt.Sprintf("timeout %v 应在 0 到 %v 之间", c.Timeout, MaxTimeout))
	}
	if c.APIKeyEnv != "" && os.Getenv(c.APIKeyEnv) == "" {
		problems = append(problems, fmt.Sprintf("环境变量 %s（api_key_env）未设置", c.APIKeyEnv))
	}
	if len(problems) > 0 {
		return errors.New("第二意见配置有误：" + strings.Join(problems, "；"))
	}
	return nil
}

// Verdict is the fixed schema the model must answer with.
type Verdict struct {
	Admissible bool   `json:"admissible"` // may be deliberated
	Rules      []int  `json:"rules"`      // 五不议 rules 1-5 that apply
	Category   int    `json:"category"`   // 六必议 category 1-6, 0 when none
	Reason     string `json:"reason"`     // one short Chinese sentence
}

// Opinion is a model's verdict as shown to the reviewer.
type Opinion struct {
	Verdict
	Model string `json:"model"`
	// Agrees says whether the model's rules are the rule engine's.
	Agrees bool `json:"agrees"`
}

// Text is the reviewer's line, marked as a second opinion that decides
// nothing.
func (o Opinion) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "· 第二意见（语言模型 %s，仅供参考，不作决定）：", o.Model)
	switch {
	case len(o.Rules) > 0:
		parts := make([]string, len(o.Rules))
		for i, r := range o.Rules {
			parts[i] = fmt.Sprintf("第%d条（%s）", r, bot.ExclusionRules[r])
		}
		b.WriteString("可能属于五不议" + strings.Join(parts, "、"))
	case o.Admissible:
		b.WriteString("可以议事")
	default:
		b.WriteString("需人工审核")
	}
	if o.Category > 0 {
		fmt.Fprintf(&b, "，六必议第%d类", o.Category)
	}
	if o.Reason != "" {
		b.WriteString("。理由：" + o.Reason)
	}
	if o.Agrees {
		b.WriteString("（与规则初筛一致）")
	} else {
		b.WriteString("（与规则初筛不一致，请审核人重点判断）")
	}
	return b.String()
}

// Client asks the configured model. A nil *Client is a disabled one:
// Ask returns nothing and sends nothing.
type Client struct {
	cfg     Config
	http    *http.Client
	log     *slog.Logger
	key     string
	url     string
	timeout time.Duration
}

// New returns a client for an enabled, valid configuration, or nil when
// the configuration is disabled.
func New(cfg Config, log *slog.Logger) (*Client, error) {
	if !cfg.Enabled {
		return nil, nil
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	t := cfg.Timeout
	if t == 0 {
		t = MaxTimeout
	}
	c := &Client{cfg: cfg, log: log, timeout: t, http: &http.Client{Timeout: t},
		url: strings.TrimRight(cfg.Endpoint, "/") + "/chat/completions"}
	if cfg.APIKeyEnv != "" {
		c.key = os.Getenv(cfg.APIKeyEnv)
	}
	return c, nil
}

const systemPrompt = `你协助城乡社区议事协商的党组织审核人初筛居民提议。依据：
五不议（不议事）：1 党的政策、国家法律法规有明文规定的；2 上级党委政府有明确要求的；3 村（居）民（代表）会议已表决通过的；4 明显不公平、有悖本地长远规划和公序良俗的；5 个人之间的矛盾纠纷（应调解）。
六必议类别：1 涉及切身利益的公共事务、公益事业；2 群众反映强烈、迫切要求解决的实际困难问题和矛盾纠纷；3 党委政府政策和重点工作在本地落实的事项；4 法律法规和政策明确要求协商的事项；5 各类协商主体提出协商需求的事项；6 其他需要协商的事项。
只输出一个 JSON 对象，不要其他文字：{"admissible": true 或 false, "rules": [适用的五不议条目编号], "category": 六必议类别编号（不适用为 0）, "reason": "一句不超过60字的中文理由"}`

// Ask returns the model's opinion on text, given the rule engine's
// screening, or false when the model could not give one (the failure is
// logged at warn and otherwise ignored).
func (c *Client) Ask(ctx context.Context, text string, engine screening.Result) (Opinion, bool) {
	if c == nil {
		return Opinion{}, false
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	v, err := c.ask(ctx, text)
	if err != nil {
		c.log.Warn("second opinion failed; the reviewer sees the rule engine's screening alone", "endpoint", c.cfg.Endpoint, "model", c.cfg.Model, "err", err)
		return Opinion{}, false
	}
	rules := slices.Clone(engine.Rules)
	slices.Sort(rules)
	return Opinion{Verdict: v, Model: c.cfg.Model, Agrees: slices.Equal(rules, v.Rules) && (len(v.Rules) > 0) != v.Admissible}, true
}

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type chatRequest struct {
	Model          string            `json:"model"`
	Messages       []chatMessage     `json:"messages"`
	Temperature    float64           `json:"temperature"`
	ResponseFormat map[string]string `json:"response_format"`
	Stream         bool              `json:"stream"`
}

type chatResponse struct {
	Choices []struct {
		Message chatMessage `json:"message"`
	} `json:"choices"`
}

func (c *Client) ask(ctx context.Context, text string) (Verdict, error) {
	if r := []rune(text); len(r) > 2000 {
		text = string(r[:2000])
	}
	body, err := json.Marshal(chatRequest{Model: c.cfg.Model, Temperature: 0, ResponseFormat: map[string]string{"type": "json_object"},
		Messages: []chatMessage{{Role: "system", Content: systemPrompt}, {Role: "user", Content: "提议：" + text}}})
	if err != nil {
		return Verdict{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return Verdict{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return Verdict{}, fmt.Errorf("request: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Verdict{}, fmt.Errorf("read response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return Verdict{}, fmt.Errorf("HTTP %d: %s", resp.StatusCode, clip(string(data), 200))
	}
	var cr chatResponse
	if err := json.Unmarshal(data, &cr); err != nil || len(cr.Choices) == 0 {
		return Verdict{}, fmt.Errorf("not a chat completion: %s", clip(string(data), 200))
	}
	return parseVerdict(cr.Choices[0].Message.Content)
}

// parseVerdict accepts the JSON object, possibly inside a ``` fence, and
// checks it against the schema.
func parseVerdict(content string) (Verdict, error) {
	s := strings.TrimSpace(content)
	if i, j := strings.Index(s, "{"), strings.LastIndex(s, "}"); i >= 0 && j > i {
		s = s[i : j+1]
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return Verdict{}, fmt.Errorf("answer is not a JSON object: %s", clip(content, 200))
	}
	for _, k := range []string{"admissible", "rules", "category", "reason"} {
		if _, ok := raw[k]; !ok {
			return Verdict{}, fmt.Errorf("answer lacks %q: %s", k, clip(content, 200))
		}
	}
	var v Verdict
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return Verdict{}, fmt.Errorf("answer outside the schema: %w", err)
	}
	for _, r := range v.Rules {
		if r < 1 || r > 5 {
			return Verdict{}, fmt.Errorf("answer names rule %d", r)
		}
	}
	if v.Category < 0 || v.Category > 6 {
		return Verdict{}, fmt.Errorf("answer names category %d", v.Category)
	}
	slices.Sort(v.Rules)
	v.Rules = slices.Compact(v.Rules)
	v.Reason = clip(strings.TrimSpace(strings.ReplaceAll(v.Reason, "\n", " ")), 80)
	return v, nil
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
