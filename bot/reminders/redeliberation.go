package reminders

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/yishi-community/yishi/bot"
)

// The re-deliberation arrangement of a failed topic is free text ("明年3月
// 再议", "资金落实后再议", "2027-03-01 前后再议"). RedeliberationDate reads the
// first date it can find; the assumptions:
//
//   - a full date (2027-03-01, 2027/3/1, 2027年3月1日) is that day;
//   - a month without a day is its 1st (月初 too), 月中 the 15th, 月底 the last day;
//   - a date without a year (3月1日, 3月份) is its next occurrence on or after
//     the day the arrangement was recorded; 今年/明年/后年 count from that day;
//   - "3个月后", "半年后", "两周后", "10天后" count from that day;
//   - anything else ("春耕后", "资金到位后", bare "明年") has no date: the
//     topic is then never in a digest as "time has come", and stays listed
//     under 再议 in the topic list for people to judge.
var (
	reFullDate  = regexp.MustCompile(`(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})`)
	reYearMonth = regexp.MustCompile(`(\d{4}|今年|明年|后年)\s*[-/.年]?\s*(\d{1,2}|十[一二]?|[一二三四五六七八九])\s*月\s*(?:(\d{1,2})\s*[日号]|(初|中|底|末|份))?`)
	reMonthDay  = regexp.MustCompile(`(\d{1,2}|十[一二]?|[一二三四五六七八九])\s*月\s*(?:(\d{1,2})\s*[日号]|(初|中|底|末|份))`)
	reRelative  = regexp.MustCompile(`(\d+|[一两二三四五六七八九十半]+)\s*(个月|个星期|星期|周|天|日|年)\s*(?:后|以后|之后)`)
)

var cnNum = map[string]int{"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10, "十一": 11, "十二": 12}

func number(s string) (int, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return n, true
	}
	n, ok := cnNum[s]
	return n, ok
}

// recordedAt is when the re-deliberation arrangement was recorded.
func recordedAt(t *bot.Topic) time.Time {
	for i := len(t.History) - 1; i >= 0; i-- {
		if t.History[i].To == bot.StageRedeliberate {
			return t.History[i].At
		}
	}
	if t.Result != nil {
		return t.Result.ClosedAt
	}
	return t.Created
}

// RedeliberationDate reads the date in a failed topic's re-deliberation
// arrangement, in loc; ok is false when the text names no date.
func RedeliberationDate(t *bot.Topic, loc *time.Location) (time.Time, bool) {
	return ParseRedeliberation(t.Redeliberation, recordedAt(t), loc)
}

// ParseRedeliberation reads the first date in text; relative words count
// from base. See the assumptions above.
func ParseRedeliberation(text string, base time.Time, loc *time.Location) (time.Time, bool) {
	text = toASCIIDigits(text)
	base = base.In(loc)
	by, bm, bd := base.Date()
	baseDay := time.Date(by, bm, bd, 0, 0, 0, 0, loc)
	valid := func(y, m, d int) (time.Time, bool) {
		t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, loc)
		return t, m >= 1 && m <= 12 && t.Day() == d
	}
	inMonth := func(y, m int, day, part string) (time.Time, bool) {
		switch {
		case day != "":
			d, _ := strconv.Atoi(day)
			return valid(y, m, d)
		case part == "中":
			return valid(y, m, 15)
		case part == "底" || part == "末":
			if m < 1 || m > 12 {
				return time.Time{}, false
			}
			return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, loc), true
		}
		return valid(y, m, 1)
	}
	if g := reFullDate.FindStringSubmatch(text); g != nil {
		y, _ := strconv.Atoi(g[1])
		m, _ := strconv.Atoi(g[2])
		d, _ := strconv.Atoi(g[3])
		return valid(y, m, d)
	}
	if g := reYearMonth.FindStringSubmatch(text); g != nil {
		y := by
		switch g[1] {
		case "今年":
		case "明年":
			y++
		case "后年":
			y += 2
		default:
			y, _ = strconv.Atoi(g[1])
		}
		m, ok := number(g[2])
		if !ok {
			return time.Time{}, false
		}
		return inMonth(y, m, g[3], g[4])
	}
	if g := reMonthDay.FindStringSubmatch(text); g != nil {
		m, ok := number(g[1])
		if !ok {
			return time.Time{}, false
		}
		t, ok := inMonth(by, m, g[2], g[3])
		if ok && t.Before(baseDay) {
			t, ok = inMonth(by+1, m, g[2], g[3])
		}
		return t, ok
	}
	if g := reRelative.FindStringSubmatch(text); g != nil {
		half := g[1] == "半"
		n, ok := number(g[1])
		if !ok && !half {
			return time.Time{}, false
		}
		switch g[2] {
		case "个月":
			if half {
				return baseDay.AddDate(0, 0, 15), true
			}
			return baseDay.AddDate(0, n, 0), true
		case "年":
			if half {
				return baseDay.AddDate(0, 6, 0), true
			}
			return baseDay.AddDate(n, 0, 0), true
		case "周", "星期", "个星期":
			return baseDay.AddDate(0, 0, 7*n), !half
		default:
			return baseDay.AddDate(0, 0, n), !half
		}
	}
	return time.Time{}, false
}

func toASCIIDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return r - '０' + '0'
		}
		return r
	}, s)
}
