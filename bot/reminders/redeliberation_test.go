package reminders_test

import (
	"testing"
	"time"

	"github.com/yishi-community/yishi/bot/reminders"
)

func TestParseRedeliberation(t *testing.T) {
	base := time.Date(2026, 12, 10, 15, 0, 0, 0, shanghai)
	for _, tc := range []struct {
		text string
		want string // "" = no date
	}{
		{"2027-03-01 前后再议", "2027-03-01"},
		{"2027/3/1再议", "2027-03-01"},
		{"定于2027年3月1日再议", "2027-03-01"},
		{"2027年3月底资金到位后再议", "2027-03-31"},
		{"明年3月再议", "2027-03-01"},
		{"明年三月中旬再议", "2027-03-15"},
		{"今年12月底再议", "2026-12-31"},
		{"3月1日再议", "2027-03-01"},   // already past this year: next year
		{"12月20日再议", "2026-12-20"}, // still ahead
		{"3个月后再议", "2027-03-10"},
		{"半年后再议", "2027-06-10"},
		{"两周后再议", "2026-12-24"},
		{"１０天后再议", "2026-12-20"},
		{"明年春耕后再议", ""},
		{"资金落实后再议", ""},
		{"2027年2月30日", ""},
	} {
		got, ok := reminders.ParseRedeliberation(tc.text, base, shanghai)
		s := ""
		if ok {
			s = got.Format("2006-01-02")
		}
		if s != tc.want {
			t.Errorf("%q: got %q, want %q", tc.text, s, tc.want)
		}
	}
}
