package screening

import (
	"strconv"
	"strings"
	"unicode"
)

// canonNumbers rewrites Chinese numerals as Arabic ones and clock times as
// 12-hour "N点" so that 七点 / 19:00 / 晚上7点 and 两百 / 200 compare equal.
// It runs on normalised text (full-width digits are ASCII already).
// Numerals are only rewritten where they count something (before a
// classifier or unit, or when they hold 十/百/千/万) so that words such as
// 一些, 万一, 千万 and 十分 survive.
func canonNumbers(s string) string {
	if !strings.ContainsAny(s, "零〇一二两三四五六七八九十百千万亿:点") {
		return s
	}
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(rs); {
		r := rs[i]
		if isCNDigit(r) {
			j := i
			for j < len(rs) && isCNDigit(rs[j]) {
				j++
			}
			run := string(rs[i:j])
			var next rune
			if j < len(rs) {
				next = rs[j]
			}
			if v, ok := cnValue(rs[i:j]); ok && convertNumeral(run, next) {
				b.WriteString(v)
			} else {
				b.WriteString(run)
			}
			i = j
			continue
		}
		b.WriteRune(r)
		i++
	}
	return canonTimes(b.String())
}

func isCNDigit(r rune) bool {
	return strings.ContainsRune("零〇一二两三四五六七八九十百千万亿", r)
}

var numeralIdioms = map[string]bool{
	"千万": true, "万一": true, "一一": true, "十分": true, "万万": true, "一万": false,
	"百万": false, "一千": false, "千千万万": true, "三三两两": true, "一二": true,
}

// classifiers that follow a counted number.
const classifiers = "个人户米元块辆盏棵台座点号栋幢层年月日天次张条家位间亩组名只处期岁周分楼室单项套公斤吨车根"

func convertNumeral(run string, next rune) bool {
	if numeralIdioms[run] || numeralIdioms[run+string(next)] {
		return false
	}
	if next != 0 && strings.ContainsRune(classifiers, next) {
		return true
	}
	return len([]rune(run)) >= 2 && strings.ContainsAny(run, "十百千万亿")
}

var cnDigit = map[rune]int{'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}

// cnValue parses a numeral run. Runs without units are read digit by digit
// (二〇二四 → 2024); colloquial trailing digits take the next lower unit
// (三千五 → 3500, 一万二 → 12000).
func cnValue(rs []rune) (string, bool) {
	hasUnit := false
	for _, r := range rs {
		if _, ok := cnDigit[r]; !ok {
			hasUnit = true
		}
	}
	if !hasUnit {
		var b strings.Builder
		for _, r := range rs {
			b.WriteByte(byte('0' + cnDigit[r]))
		}
		return b.String(), true
	}
	var total, section, digit int64
	lastUnit := int64(1)
	units := map[rune]int64{'十': 10, '百': 100, '千': 1000}
	for i, r := range rs {
		if d, ok := cnDigit[r]; ok {
			if i > 0 && rs[i-1] != '零' && rs[i-1] != '〇' && cnDigit[rs[i-1]] > 0 {
				return "", false // 九九亿: not a well-formed numeral
			}
			digit = int64(d)
			if i == len(rs)-1 && lastUnit >= 10 && rs[i-1] != '零' {
				// trailing colloquial digit: 三千五 = 3500
				digit *= lastUnit / 10
			}
			continue
		}
		switch r {
		case '十', '百', '千':
			u := units[r]
			if digit == 0 && r == '十' {
				digit = 1 // 十二 = 12
			}
			section += digit * u
			digit = 0
			lastUnit = u
		case '万', '亿':
			u := int64(10000)
			if r == '亿' {
				u = 100000000
			}
			section += digit
			if section == 0 {
				section = 1
			}
			total += section * u
			section, digit = 0, 0
			lastUnit = u
		default:
			return "", false
		}
		if total > 1e15 || section > 1e15 {
			return "", false
		}
	}
	return strconv.FormatInt(total+section+digit, 10), true
}

// canonTimes turns 19:00 / 19:30 / 19点 into 7点 / 7点半 / 7点.
func canonTimes(s string) string {
	if !strings.ContainsAny(s, ":点") {
		return s
	}
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(rs); {
		if !unicode.IsDigit(rs[i]) || (i > 0 && unicode.IsDigit(rs[i-1])) {
			b.WriteRune(rs[i])
			i++
			continue
		}
		j := i
		for j < len(rs) && j-i < 3 && rs[j] >= '0' && rs[j] <= '9' {
			j++
		}
		h, _ := strconv.Atoi(string(rs[i:j]))
		if j-i <= 2 && j < len(rs) && h <= 24 {
			switch {
			case rs[j] == ':' && j+2 < len(rs) && isASCIIDigit(rs[j+1]) && isASCIIDigit(rs[j+2]) && (j+3 >= len(rs) || !isASCIIDigit(rs[j+3])):
				m, _ := strconv.Atoi(string(rs[j+1 : j+3]))
				b.WriteString(strconv.Itoa(hour12(h)))
				b.WriteString("点")
				switch {
				case m == 30:
					b.WriteString("半")
				case m != 0:
					b.WriteString(strconv.Itoa(m))
					b.WriteString("分")
				}
				i = j + 3
				continue
			case rs[j] == '点':
				b.WriteString(strconv.Itoa(hour12(h)))
				b.WriteString("点")
				i = j + 1
				continue
			}
		}
		b.WriteString(string(rs[i:j]))
		i = j
	}
	return b.String()
}

func hour12(h int) int {
	if h > 12 {
		return h - 12
	}
	return h
}

func isASCIIDigit(r rune) bool { return r >= '0' && r <= '9' }
