package config

import (
	"testing"

	"github.com/robfig/cron/v3"
)

// panickingSpecs make robfig/cron/v3's parser panic (it slices with the
// index of a space that is not there).
var panickingSpecs = []string{"TZ=Asia/Shanghai", "CRON_TZ=UTC", "TZ="}

// TestCronParserPanics proves the guard is needed: if a later cron release
// stops panicking, this fails and the guard's comment should be revisited.
func TestCronParserPanics(t *testing.T) {
	for _, spec := range panickingSpecs {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("cron.ParseStandard(%q) did not panic", spec)
				}
			}()
			_, _ = cron.ParseStandard(spec)
		}()
	}
}

func TestParseCron(t *testing.T) {
	tests := []struct {
		spec string
		ok   bool
	}{
		{"0 9 * * *", true},
		{"30 8 * * 1-5", true},
		{"*/15 9-17 * * *", true},
		{"@daily", true},
		{"CRON_TZ=Asia/Shanghai 0 9 * * *", true}, // valid for cron; Parse rejects it separately
		{"", false},
		{"0 9 * *", false},
		{"0 9 * * * *", false},
		{"61 9 * * *", false},
		{"*/0 * * * *", false},
		{"0 9 * * mon-", false},
		{"TZ=Asia/Shanghai", false},
		{"CRON_TZ=UTC", false},
		{"TZ=", false},
		{"TZ=Nowhere/Land 0 9 * * *", false},
	}
	for _, tt := range tests {
		s, err := ParseCron(tt.spec)
		if (err == nil) != tt.ok || (err == nil) != (s != nil) {
			t.Errorf("ParseCron(%q) = %v, %v; want ok=%v", tt.spec, s, err, tt.ok)
		}
	}
}
