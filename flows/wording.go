package flows

import (
	"strings"

	"github.com/yishi-community/yishi/bot/config"
)

// Shared texts (the engine's, the permission rules') say 村(居) and
// 村(社区) because they do not know the community; every message the
// flows send goes through localize, so a village reads 村 and an urban
// community reads 社区 or 居.
var (
	villageWords = strings.NewReplacer(
		"本村(社区)", "本村", "村(社区)", "村", "村(居)民", "村民", "村(居)委会", "村委会",
		"村(居)务", "村务", "村(居)", "村")
	communityWords = strings.NewReplacer(
		"本村(社区)", "本社区", "村(社区)", "社区", "村(居)民", "居民", "村(居)委会", "居委会",
		"村(居)务", "居务", "村(居)", "居")
)

// doubled are punctuation pairs that appear when a template adds a mark
// after a text that already ends with one (「内容：…。；」); the second
// mark is the template's and carries the structure, so it is kept.
var doubled = strings.NewReplacer(
	"。；", "；", "。，", "，", "。。", "。", "；。", "。", "，。", "。", "！。", "！", "？。", "？",
	"。、", "、", "；；", "；", "，，", "，")

// localize fits a text to the community's kind and removes doubled
// punctuation.
func localize(c *config.Community, text string) string {
	if c != nil {
		if c.Kind == config.KindCommunity {
			text = communityWords.Replace(text)
		} else {
			text = villageWords.Replace(text)
		}
	}
	for range 3 { // "。。。" needs more than one pass
		t := doubled.Replace(text)
		if t == text {
			break
		}
		text = t
	}
	return text
}
