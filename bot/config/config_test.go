package config

import (
	"strings"
	"testing"
)

func TestRecusalAndCoolingOff(t *testing.T) {
	base := string(SampleYAML())
	c, err := Parse("a.yaml", []byte(base+"\nrecusal: true\ncooling_off_days: 90\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Recusal || c.CoolingOffDays != 90 {
		t.Fatalf("recusal %v, cooling off %d", c.Recusal, c.CoolingOffDays)
	}
	if s := Sample(); s.Recusal || s.CoolingOffDays != 0 {
		t.Fatal("both must be off by default")
	}
	if _, err := Parse("b.yaml", []byte(base+"\ncooling_off_days: -1\n")); err == nil || !strings.Contains(err.Error(), "cooling_off_days") {
		t.Fatalf("negative cooling-off: %v", err)
	}
}
