package ledger

import (
	"bytes"
	"context"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/image/font/sfnt"
	"golang.org/x/text/encoding/simplifiedchinese"

	"innobot/period"
	"innobot/storage"
	"innobot/survey"
)

var update = flag.Bool("update", false, "rewrite the golden files of the chart's data")

// chartNow is when the test charts are drawn.
var chartNow = time.Date(2026, 11, 25, 10, 0, 0, 0, period.ChinaTime)

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("chart data:\n%s\nwant (%s):\n%s", got, path, want)
	}
}

// chartScenario is a city in November 2026: 盐湖区 with three enterprises (two reported, one of
// them active), 永济市 with two (one active from October, neither reported), 河津市 with one
// that reported nothing to show, and no enterprise elsewhere.
func chartScenario() *fakeStore {
	f := newFake()
	for _, e := range []storage.Enterprise{
		{ID: "E01", Name: "盐湖一号钢铁有限公司", Region: "盐湖区"},
		{ID: "E02", Name: "盐湖二号化工有限公司", Region: "盐湖区"},
		{ID: "E03", Name: "盐湖三号食品有限公司", Region: "盐湖区"},
		{ID: "E04", Name: "永济四号电机有限公司", Region: "永济市"},
		{ID: "E05", Name: "永济五号纺织有限公司", Region: "永济市"},
		{ID: "E06", Name: "运城开发区示范新能源汽车零部件有限公司", Region: "河津市"},
	} {
		f.putEnterprise(e)
	}
	f.submit(factsSub("E01", "2026-11", survey.Facts{HasInstitution: true}))
	f.submit(factsSub("E02", "2026-11", survey.Facts{Plan: "计划建立研发中心"}))
	f.submit(factsSub("E04", "2026-10", survey.Facts{HasRD: true}))
	f.submit(factsSub("E06", "2026-11", survey.Facts{Plan: "计划开展技术改造"}))
	return f
}

// TestChartData pins what the picture plots, for the city (a bar per region and the total)
// and for a helper (a bar per enterprise).
func TestChartData(t *testing.T) {
	for _, tc := range []struct {
		name  string
		scope Scope
	}{
		{"chart_city.golden", City()},
		{"chart_region.golden", Region("盐湖区")},
		{"chart_helper.golden", Helper("E01", "E04", "E06")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Progress(context.Background(), chartScenario(), tc.scope, "2026-11", regions)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, Chart(r, chartNow).String())
		})
	}
}

// TestChartPNG decodes the picture: a phone's width, a row per bar, and the bars' colours
// where the data puts them.
func TestChartPNG(t *testing.T) {
	r, err := Progress(context.Background(), chartScenario(), City(), "2026-11", regions)
	if err != nil {
		t.Fatal(err)
	}
	d := Chart(r, chartNow)
	var b bytes.Buffer
	if err := WritePNG(&b, d); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	size := img.Bounds().Size()
	if size.X < 1080 {
		t.Errorf("width %d, want at least 1080 for a phone", size.X)
	}
	if rows := len(d.Bars) + 1; size.Y < rows*barRow || size.Y > rows*barRow+400 {
		t.Errorf("height %d for %d bars", size.Y, rows)
	}
	if textSmall < 28 {
		t.Errorf("smallest text %d px, want at least 28", textSmall)
	}
	// 盐湖区 (the first bar) has reported in part: its bar starts green and ends grey.
	first := d.Bars[0]
	if first.Submitted == 0 || first.Pending == 0 {
		t.Fatalf("scenario changed: %+v", first)
	}
	top := chartMargin + textTitle + 20 + textSmall + 24 + textSmall + 36
	y := top + textLabel + 14 + barHeight/2
	if got := img.At(chartMargin+2, y); !sameColour(got, colourDone) {
		t.Errorf("start of the first bar is %v, want 已填报 green", got)
	}
	most := 0
	for _, x := range d.Bars {
		most = max(most, x.Total())
	}
	end := chartMargin + (chartWidth-2*chartMargin)*first.Total()/most - 2
	if got := img.At(end, y); !sameColour(got, colourPending) {
		t.Errorf("end of the first bar is %v, want 未填报 grey", got)
	}
}

func sameColour(a, b interface{ RGBA() (r, g, b, a uint32) }) bool {
	r1, g1, b1, _ := a.RGBA()
	r2, g2, b2, _ := b.RGBA()
	return r1 == r2 && g1 == g2 && b1 == b2
}

// TestChartFontCovers checks the embedded face has every character of GB2312 (so enterprise
// names render) and every configured region.
func TestChartFontCovers(t *testing.T) {
	f, err := sfnt.Parse(chartFont)
	if err != nil {
		t.Fatal(err)
	}
	var buf sfnt.Buffer
	missing := 0
	check := func(r rune) {
		if i, err := f.GlyphIndex(&buf, r); err != nil || i == 0 {
			missing++
			if missing < 10 {
				t.Errorf("no glyph for %q", r)
			}
		}
	}
	gb := simplifiedchinese.GBK.NewDecoder()
	for hi := 0xB0; hi <= 0xF7; hi++ {
		for lo := 0xA1; lo <= 0xFE; lo++ {
			if hi == 0xD7 && lo > 0xF9 {
				continue // the end of level 1
			}
			s, err := gb.Bytes([]byte{byte(hi), byte(lo)})
			if err != nil || len([]rune(string(s))) != 1 {
				continue
			}
			check([]rune(string(s))[0])
		}
	}
	for _, region := range regions {
		for _, r := range region {
			check(r)
		}
	}
	if missing > 0 {
		t.Errorf("%d characters missing", missing)
	}
}

// TestChartsAtOnce draws two pictures at the same time, as two clerks asking 进度图 do, and
// the Monday pictures while one is asked: under -race a shared face fails it.
func TestChartsAtOnce(t *testing.T) {
	r, err := Progress(context.Background(), chartScenario(), City(), "2026-11", regions)
	if err != nil {
		t.Fatal(err)
	}
	d := Chart(r, chartNow)
	var want bytes.Buffer
	if err := WritePNG(&want, d); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	got := make([]bytes.Buffer, 4)
	for i := range got {
		wg.Go(func() {
			if err := WritePNG(&got[i], d); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i := range got {
		if !bytes.Equal(got[i].Bytes(), want.Bytes()) {
			t.Errorf("picture %d drawn at once differs from one drawn alone", i)
		}
	}
}

// TestChartRareCharacter: a character of an enterprise name outside GB2312 (犇) is drawn from
// a Chinese font installed on the machine, not as the subset's empty box.
func TestChartRareCharacter(t *testing.T) {
	fonts, err := chartFonts()
	if err != nil {
		t.Fatal(err)
	}
	var buf sfnt.Buffer
	if g, _ := fonts[0].GlyphIndex(&buf, '犇'); g != 0 {
		t.Fatal("the subset has 犇: pick a rarer character for this test")
	}
	if len(fonts) == 1 {
		t.Skip("fonts-noto-cjk is not installed (CI installs it): such a character shows as a box")
	}
	draw := func(fonts []*sfnt.Font) (*canvas, []run) {
		c, err := newCanvas(image.NewRGBA(image.Rect(0, 0, 400, 60)), fonts)
		if err != nil {
			t.Fatal(err)
		}
		c.text(0, 40, textLabel, colourText, "山西犇腾钢铁", 400)
		return c, c.runs(textLabel, "山西犇腾钢铁")
	}
	with, runs := draw(fonts)
	if len(runs) != 3 || runs[1].text != "犇" || runs[1].face == with.faces[textLabel][0] {
		t.Fatalf("runs %+v: want 犇 alone, from an installed font", runs)
	}
	without, _ := draw(fonts[:1])
	if bytes.Equal(with.img.Pix, without.img.Pix) {
		t.Error("犇 is drawn the same with the installed font as without it")
	}
}
