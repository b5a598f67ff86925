package ledger

import (
	_ "embed"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"

	"innobot/period"
)

// The chart's face: a subset of Noto Sans CJK SC (SIL Open Font License, fonts/OFL.txt) with
// every character of GB2312, made by fonts/make-subset.sh. It is embedded so that the chart
// reads the same on any server, with no fonts installed.
//
//go:embed fonts/NotoSansSC-subset.otf
var chartFont []byte

// Chart sizes, in pixels: a phone shows a picture 1080 wide across its screen, where 28-pixel
// text is the smallest that reads without zooming.
const (
	chartWidth  = 1080
	chartMargin = 48
	textSmall   = 28 // figures, legend, notes
	textLabel   = 32 // a bar's region or enterprise
	textTitle   = 44
	barHeight   = 40
	barRow      = textLabel + 14 + barHeight + 30
)

// Chart colours: green for 已填报, a light grey for 未填报, as the eye reads done and not done.
var (
	colourDone    = color.RGBA{0x2e, 0x9d, 0x5b, 0xff}
	colourPending = color.RGBA{0xd9, 0xd9, 0xd9, 0xff}
	colourText    = color.RGBA{0x22, 0x22, 0x22, 0xff}
	colourNote    = color.RGBA{0x66, 0x66, 0x66, 0xff}
)

// ChartBar is one bar of the progress chart: a region, or an enterprise of a helper's list.
type ChartBar struct {
	Label string
	// Submitted and Pending are the bar's two parts (已填报, 未填报); Active counts 已开展创新活动.
	Submitted, Pending, Active int
	// Figures is the text printed beside the label.
	Figures string
}

// Total is the bar's length in enterprises.
func (b ChartBar) Total() int { return b.Submitted + b.Pending }

// ChartData is everything the progress chart shows, apart from how it looks.
type ChartData struct {
	Title, Subtitle string
	// Caption is the line sent with the picture: the chat shows a picture small until it is
	// opened, so the period and the totals are said in words too.
	Caption string
	Bars    []ChartBar
	// Total closes the chart (合计); nil for a single bar.
	Total *ChartBar
}

// Chart is what the progress picture of a report plots: one bar per region, or per
// enterprise for a helper's scope, each with 已填报/未填报 and 开展率, titled with the period and
// the time it was drawn.
func Chart(r Report, now time.Time) ChartData {
	t := r.Total
	submitted := fmt.Sprintf("已填报 %d/%d 家（%s）", t.Submitted, t.Enterprises, pct(t.Submitted, t.Enterprises))
	active := "开展率 " + pct(t.Active, t.Enterprises)
	d := ChartData{
		Title:    fmt.Sprintf("%s %s 填报进度", r.Area, period.Label(r.Period)),
		Subtitle: fmt.Sprintf("截至 %s · %s· %s", now.In(r.zone()).Format("2006-01-02 15:04"), submitted, active),
	}
	d.Caption = fmt.Sprintf("%s：%s，%s。", d.Title, submitted, active)
	if r.Scope.Kind == ScopeHelper {
		for _, en := range r.Entries {
			b := ChartBar{Label: en.Enterprise.Name, Figures: "未填报"}
			if en.Submitted {
				b.Submitted, b.Figures = 1, "已填报"
			} else {
				b.Pending = 1
			}
			if en.Active {
				b.Active = 1
				b.Figures += " · 已开展创新活动"
			} else {
				b.Figures += " · 未开展"
			}
			d.Bars = append(d.Bars, b)
		}
		return d
	}
	bar := func(row Row) ChartBar {
		b := ChartBar{Label: row.Region, Submitted: row.Submitted, Pending: row.NotSubmitted, Active: row.Active,
			Figures: fmt.Sprintf("%d/%d 已填报 · 开展率 %s", row.Submitted, row.Enterprises, pct(row.Active, row.Enterprises))}
		if row.Enterprises == 0 {
			b.Figures = "无企业"
		}
		return b
	}
	for _, row := range r.Rows {
		d.Bars = append(d.Bars, bar(row))
	}
	if len(r.Rows) > 1 {
		t := bar(r.Total)
		d.Total = &t
	}
	return d
}

// String lists the chart's data one bar a line, as a test or a log reads it.
func (d ChartData) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s\n%s\n", d.Title, d.Subtitle, d.Caption)
	bars := d.Bars
	if d.Total != nil {
		bars = append(bars[:len(bars):len(bars)], *d.Total)
	}
	for _, x := range bars {
		fmt.Fprintf(&b, "%s | 已填报 %d | 未填报 %d | 已开展 %d | %s\n", x.Label, x.Submitted, x.Pending, x.Active, x.Figures)
	}
	return b.String()
}

// chartFonts are the chart's fonts, parsed once (parsing 1.5 MB of outlines at every chart
// would cost more than drawing it): the embedded subset, then the Chinese fonts installed on
// the machine, which draw a character the subset lacks (a rare one in an enterprise name,
// outside GB2312). Without them such a character shows as an empty box.
var chartFonts = sync.OnceValues(func() ([]*sfnt.Font, error) {
	f, err := opentype.Parse(chartFont)
	if err != nil {
		return nil, fmt.Errorf("chart font: %w", err)
	}
	fonts := []*sfnt.Font{f}
	for _, sf := range systemFonts {
		if f := openSystemFont(sf.path, sf.index); f != nil {
			fonts = append(fonts, f)
		}
	}
	return fonts, nil
})

// systemFonts are where Debian's fonts-noto-cjk puts its file, with the index of the
// Simplified Chinese face in the collection. (The WenQuanYi collections are no use here: the
// font reader refuses their table offsets.)
var systemFonts = []struct {
	path  string
	index int
}{
	{"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2},
}

// openSystemFont opens one face of a font collection, read from the file as glyphs are
// needed (the file stays open for the program's life); nil when it is missing or unreadable.
func openSystemFont(path string, index int) *sfnt.Font {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	if c, err := opentype.ParseCollectionReaderAt(f); err == nil && index < c.NumFonts() {
		if font, err := c.Font(index); err == nil {
			return font
		}
	}
	_ = f.Close() // read only
	return nil
}

// WritePNG draws the chart as a PNG: title and time, a legend, then a labelled bar per
// region (green 已填报, grey 未填报, lengths to scale) with its figures, and the total.
func WritePNG(w io.Writer, d ChartData) error {
	fonts, err := chartFonts()
	if err != nil {
		return err
	}
	bars := d.Bars
	if d.Total != nil {
		bars = append(bars[:len(bars):len(bars)], *d.Total)
	}
	height := chartMargin + textTitle + 20 + textSmall + 24 + textSmall + 36 + len(bars)*barRow + chartMargin
	img := image.NewRGBA(image.Rect(0, 0, chartWidth, height))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	c, err := newCanvas(img, fonts)
	if err != nil {
		return err
	}

	y := chartMargin + textTitle
	c.text(chartMargin, y, textTitle, colourText, d.Title, chartWidth-2*chartMargin)
	y += 20 + textSmall
	c.text(chartMargin, y, textSmall, colourNote, d.Subtitle, chartWidth-2*chartMargin)
	y += 24
	x := chartMargin
	for _, l := range []struct {
		c    color.Color
		text string
	}{{colourDone, "已填报"}, {colourPending, "未填报"}} {
		c.box(x, y, textSmall, textSmall, l.c)
		x += textSmall + 10
		x += c.text(x, y+textSmall-4, textSmall, colourText, l.text, 400) + 36
	}
	y += textSmall + 36

	// The regions' bars are to one scale, the longest across; 合计 is a bar of its own.
	most := 1
	for _, b := range d.Bars {
		most = max(most, b.Total())
	}
	full := chartWidth - 2*chartMargin
	for i, b := range bars {
		if d.Total != nil && i == len(bars)-1 {
			c.box(chartMargin, y-12, full, 2, colourPending) // a rule above 合计
			most = max(b.Total(), 1)
		}
		fw := c.measure(textSmall, b.Figures)
		c.text(chartWidth-chartMargin-fw, y+textLabel, textSmall, colourNote, b.Figures, full)
		c.text(chartMargin, y+textLabel, textLabel, colourText, b.Label, full-fw-24)
		by := y + textLabel + 14
		length := full * b.Total() / most
		done := full * b.Submitted / most
		if b.Total() > 0 {
			c.box(chartMargin, by, max(length, 4), barHeight, colourPending)
			c.box(chartMargin, by, done, barHeight, colourDone)
		} else {
			c.box(chartMargin, by+barHeight/2, full, 2, colourPending) // no enterprises
		}
		y += barRow
	}
	// Best speed: a flat picture compresses well anyway, and it is drawn while someone waits.
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(w, img); err != nil {
		return fmt.Errorf("chart png: %w", err)
	}
	return nil
}

// canvas draws on the chart's image with faces of its own: a face keeps glyph buffers, so two
// pictures drawn at once must not share one, while the parsed fonts are shared.
type canvas struct {
	img   *image.RGBA
	fonts []*sfnt.Font
	faces map[float64][]font.Face // by size, one per font
	buf   sfnt.Buffer
}

func newCanvas(img *image.RGBA, fonts []*sfnt.Font) (*canvas, error) {
	c := &canvas{img: img, fonts: fonts, faces: map[float64][]font.Face{}}
	for _, size := range []float64{textSmall, textLabel, textTitle} {
		for _, f := range fonts {
			face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
			if err != nil {
				return nil, fmt.Errorf("chart font at %v px: %w", size, err)
			}
			c.faces[size] = append(c.faces[size], face)
		}
	}
	return c, nil
}

// run is a piece of text drawn with one face.
type run struct {
	face font.Face
	text string
}

// runs splits s into pieces, each drawn by the first font that has its characters; a
// character no font has is drawn by the first, as its empty box.
func (c *canvas) runs(size float64, s string) []run {
	var out []run
	last := -1
	for _, r := range s {
		i := 0
		for j, f := range c.fonts {
			if g, err := f.GlyphIndex(&c.buf, r); err == nil && g != 0 {
				i = j
				break
			}
		}
		if i != last {
			out = append(out, run{face: c.faces[size][i]})
			last = i
		}
		out[len(out)-1].text += string(r)
	}
	return out
}

func (c *canvas) box(x, y, w, h int, col color.Color) {
	draw.Draw(c.img, image.Rect(x, y, x+w, y+h), image.NewUniform(col), image.Point{}, draw.Src)
}

func (c *canvas) measure(size float64, s string) int {
	var w fixed.Int26_6
	for _, r := range c.runs(size, s) {
		w += font.MeasureString(r.face, r.text)
	}
	return w.Ceil()
}

// text draws s with its baseline at y, cut with … to fit width, and returns its width.
func (c *canvas) text(x, y int, size float64, col color.Color, s string, width int) int {
	if c.measure(size, s) > width {
		r := []rune(s)
		for len(r) > 0 && c.measure(size, string(r)+"…") > width {
			r = r[:len(r)-1]
		}
		s = string(r) + "…"
	}
	dr := font.Drawer{Dst: c.img, Src: image.NewUniform(col), Dot: fixed.P(x, y)}
	for _, r := range c.runs(size, s) {
		dr.Face = r.face
		dr.DrawString(r.text)
	}
	return c.measure(size, s)
}

// ChartFileName is the name of a report's progress picture, such as
// 运城市填报进度_2026年11月_20261125-1000.png: the time is in it, as a chart shows one moment.
func ChartFileName(r Report, now time.Time) string {
	return safeName(r.Area+"填报进度") + "_" + period.Label(r.Period) + "_" + now.In(r.zone()).Format("20060102-1504") + ".png"
}

// SaveChart draws the report's progress picture into dir under ChartFileName and returns its
// path.
func SaveChart(dir string, r Report, now time.Time) (string, error) {
	return save(dir, ChartFileName(r, now), func(w io.Writer) error { return WritePNG(w, Chart(r, now)) })
}
