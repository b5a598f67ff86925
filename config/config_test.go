package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// comparable drops the loaded zone: *time.Location caches per load, so two
// loads of the same zone need not be DeepEqual. Zones are tested apart.
func comparable(c Config) Config {
	c.loc = nil
	return c
}

func TestDefault(t *testing.T) {
	c := Default()
	wantRegions := []string{"盐湖区", "永济市", "河津市", "临猗县", "万荣县", "稷山县", "新绛县",
		"闻喜县", "绛县", "垣曲县", "夏县", "平陆县", "芮城县", "运城开发区"}
	if !reflect.DeepEqual(c.Regions, wantRegions) {
		t.Errorf("Regions = %v, want %v", c.Regions, wantRegions)
	}
	lead := []Duration{3 * Day, Day, 0}
	wantDeadlines := []Deadline{
		{"monthly", "月度进展及台账报送", "0 0 5 * *", lead, "09:00", []string{"liaisons", "groups", "county_office"}},
		{"work_plan", "年度工作计划报送", "0 0 20 6 *", lead, "09:00", []string{"groups", "county_office"}},
		{"annual", "年度全覆盖进展报送", "0 0 5 1 *", lead, "09:00", []string{"groups", "county_office"}},
		{"city_summary", "全市汇总上报", "0 0 20 1 *", lead, "09:00", []string{"city_office"}},
	}
	if !reflect.DeepEqual(c.Deadlines, wantDeadlines) {
		t.Errorf("Deadlines = %+v, want %+v", c.Deadlines, wantDeadlines)
	}
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"Bot", c.Bot, Bot{Name: "创新助手", Prefix: "#"}},
		{"Timezone", c.Timezone, "Asia/Shanghai"},
		{"DataDir", c.DataDir, "data"},
		{"Storage", c.Storage, Storage{Driver: "bolt", ReplyDeadline: Duration(2 * time.Second)}},
		{"Form", c.Form, ""},
		{"Outbox", c.Outbox, Outbox{RatePerMinute: 50, Jitter: 0.30, PerHour: 600}},
		{"WeChat", c.WeChat, WeChat{}},
		{"Invite", c.Invite, Invite{TTL: 7 * Day, WrongCodesPerHour: 100}},
		{"Exports", c.Exports, Exports{Keep: 30 * Day}},
		{"Backup", c.Backup, Backup{Every: Day, Keep: 14}},
		{"Location", c.Location().String(), "Asia/Shanghai"},
	} {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if ps := c.validate(); len(ps) != 0 {
		t.Errorf("Default() does not validate: %v", ps)
	}

	// Each call must hand out its own slices.
	c.Regions[0] = "changed"
	c.Deadlines[0].Lead[0] = 0
	if d := Default(); d.Regions[0] != "盐湖区" || d.Deadlines[0].Lead[0] != 3*Day {
		t.Error("Default() shares slices between calls")
	}
}

func TestParseDefaults(t *testing.T) {
	for _, src := range []string{"", "\n", "# nothing set yet\n", "---\n", "~\n", "\ufeff"} {
		got, err := Parse("config.yaml", []byte(src))
		if err != nil {
			t.Errorf("Parse(%q): %v", src, err)
			continue
		}
		if want := Default(); !reflect.DeepEqual(comparable(got), comparable(want)) {
			t.Errorf("Parse(%q) = %+v, want defaults %+v", src, got, want)
		}
		if got.Location().String() != "Asia/Shanghai" {
			t.Errorf("Parse(%q).Location() = %v", src, got.Location())
		}
	}
}

func TestParseMerges(t *testing.T) {
	oneDeadline := []Deadline{{ID: "q", Name: "季度", Cron: "0 0 1 */3 *",
		Lead: []Duration{Duration(12 * time.Hour), 0}, At: "8:30", Audiences: []string{"groups"}}}
	tests := []struct {
		name string
		src  string
		edit func(*Config) // applied to Default() to get the wanted result
	}{
		{"prefix keeps name", `bot: {prefix: "!"}`, func(c *Config) { c.Bot.Prefix = "!" }},
		{"name keeps prefix", "bot:\n  name: 小助手\n", func(c *Config) { c.Bot.Name = "小助手" }},
		{"null value keeps default", "bot:\ninvite:\n", func(c *Config) {}},
		{"timezone", "timezone: UTC", func(c *Config) { c.Timezone = "UTC" }},
		{"data_dir", "data_dir: /var/lib/innobot", func(c *Config) { c.DataDir = "/var/lib/innobot" }},
		{"redis", "storage:\n  driver: redis\n  url: redis://127.0.0.1:6379/0\n", func(c *Config) {
			c.Storage.Driver, c.Storage.URL = "redis", "redis://127.0.0.1:6379/0"
		}},
		{"rediss", "storage: {driver: redis, url: \"rediss://h:6380\"}", func(c *Config) {
			c.Storage.Driver, c.Storage.URL = "redis", "rediss://h:6380"
		}},
		{"sentinel", "storage: {driver: redis, url: \"redis+sentinel://s1:26379/0?master_name=m&addr=s2:26379\"}", func(c *Config) {
			c.Storage.Driver, c.Storage.URL = "redis", "redis+sentinel://s1:26379/0?master_name=m&addr=s2:26379"
		}},
		{"cluster", "storage: {driver: redis, url: \"rediss+cluster://n1:7000?addr=n2:7000\"}", func(c *Config) {
			c.Storage.Driver, c.Storage.URL = "redis", "rediss+cluster://n1:7000?addr=n2:7000"
		}},
		{"reply deadline", "storage: {reply_deadline: 1500ms}", func(c *Config) { c.Storage.ReplyDeadline = Duration(1500 * time.Millisecond) }},
		{"regions replace whole", "regions: [太原市, 大同市]", func(c *Config) { c.Regions = []string{"太原市", "大同市"} }},
		{"form", "form: forms/2021.yaml", func(c *Config) { c.Form = "forms/2021.yaml" }},
		{"deadlines replace whole", `
deadlines:
  - id: q
    name: 季度
    cron: "0 0 1 */3 *"
    lead: [12h, 0d]
    at: "8:30"
    audiences: [groups]
`, func(c *Config) { c.Deadlines = oneDeadline }},
		{"deadlines emptied", "deadlines: []", func(c *Config) { c.Deadlines = []Deadline{} }},
		{"merge key reuses a deadline", `
deadlines:
  - &base {id: a, name: 甲, cron: "0 0 5 * *", lead: [1d], at: "09:00", audiences: [groups]}
  - <<: *base
    id: b
`, func(c *Config) {
			a := Deadline{ID: "a", Name: "甲", Cron: "0 0 5 * *", Lead: []Duration{Day}, At: "09:00", Audiences: []string{"groups"}}
			b := a
			b.ID = "b"
			c.Deadlines = []Deadline{a, b}
		}},
		{"jitter keeps rate", `outbox: {jitter: "10%"}`, func(c *Config) { c.Outbox.Jitter = 0.10 }},
		{"rate keeps jitter", "outbox:\n  rate_per_minute: 20\n", func(c *Config) { c.Outbox.RatePerMinute = 20 }},
		{"jitter bounds", "outbox: {jitter: 0%}", func(c *Config) { c.Outbox.Jitter = 0 }},
		{"jitter 100%", "outbox: {jitter: 100%}", func(c *Config) { c.Outbox.Jitter = 1 }},
		{"hourly cap", "outbox: {per_hour: 120}", func(c *Config) { c.Outbox.PerHour = 120 }},
		{"accept friends", "wechat: {accept_friends: true}", func(c *Config) { c.WeChat.AcceptFriends = true }},
		{"ttl hours", "invite: {ttl: 72h}", func(c *Config) { c.Invite.TTL = 3 * Day }},
		{"ttl days", "invite:\n  ttl: 30d\n", func(c *Config) { c.Invite.TTL = 30 * Day }},
		{"secret key", "invite: {secret_key: " + strings.Repeat("ab", 32) + "}", func(c *Config) { c.Invite.SecretKey = strings.Repeat("ab", 32) }},
		{"wrong codes per hour", "invite: {wrong_codes_per_hour: 20}", func(c *Config) { c.Invite.WrongCodesPerHour = 20 }},
		{"exports keep", "exports: {keep: 7d}", func(c *Config) { c.Exports.Keep = 7 * Day }},
		{"backup", "backup: {every: 12h, keep: 3, dir: /mnt/backup/innobot}", func(c *Config) {
			c.Backup = Backup{Every: Duration(12 * time.Hour), Keep: 3, Dir: "/mnt/backup/innobot"}
		}},
		{"backup off", "backup: {every: 0s}", func(c *Config) { c.Backup.Every = 0 }},
		{"byte-order mark", "\ufeffbot: {name: x}", func(c *Config) { c.Bot.Name = "x" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("config.yaml", []byte(tt.src))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := Default()
			tt.edit(&want)
			if !reflect.DeepEqual(comparable(got), comparable(want)) {
				t.Errorf("got  %+v\nwant %+v", comparable(got), comparable(want))
			}
		})
	}
}

func TestParseLocation(t *testing.T) {
	c, err := Parse("config.yaml", []byte("timezone: America/New_York\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Location().String(); got != "America/New_York" {
		t.Errorf("Location() = %q, want America/New_York", got)
	}
	// A zone changed by hand after loading must not keep the old location.
	c.Timezone = "UTC"
	if got := c.Location(); got.String() != "UTC" {
		t.Errorf("after edit, Location() = %q, want UTC", got)
	}
}

// deadlineAt builds a deadlines block whose fields sit on known lines
// (the block starts on line 1, "cron" is on line 5, "at" on line 7);
// over replaces one field line.
func deadlineAt(over map[string]string) string {
	lines := []struct{ key, val string }{
		{"id", "monthly"},
		{"name", "月报"},
		{"cron", `"0 0 5 * *"`},
		{"lead", "[3d, 1d, 0d]"},
		{"at", `"09:00"`},
		{"audiences", "[liaisons]"},
	}
	var b strings.Builder
	b.WriteString("# reminders\ndeadlines:\n")
	for i, l := range lines {
		if v, ok := over[l.key]; ok {
			l.val = v
		}
		if i == 0 {
			b.WriteString("  - ")
		} else {
			b.WriteString("    ")
		}
		b.WriteString(l.key + ": " + l.val + "\n")
	}
	return b.String()
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // exact prefix of the error message
	}{
		{"unknown key top level", "bot: {name: x}\ntimezon: UTC\n",
			"config.yaml:2: timezon: unknown key"},
		{"unknown key nested", "# storage\ntimezone: UTC\nstorage: {drver: bolt}\n",
			"config.yaml:3: storage.drver: unknown key"},
		{"unknown key in block mapping", "outbox:\n  rate_per_minute: 5\n  jiter: 10%\n",
			"config.yaml:3: outbox.jiter: unknown key"},
		{"unknown key in list item", deadlineAt(map[string]string{"lead": "[1d]\n    leads: [2d]"}),
			"config.yaml:7: deadlines[0].leads: unknown key"},
		{"unknown key via alias", "bot: &b {prefix: \"!\"}\ndeadlines:\n  - <<: *b\n    id: a\n",
			"config.yaml:1: deadlines[0].prefix: unknown key"},
		{"duplicate key", "bot:\n  name: a\n  prefix: \"!\"\n  name: b\n",
			"config.yaml:4: bot.name: duplicate key (first at line 2)"},
		{"bad timezone", "data_dir: d\ntimezone: Asia/Yuncheng\n",
			`config.yaml:2: timezone: unknown time zone "Asia/Yuncheng"`},
		{"empty timezone", `timezone: ""`,
			"config.yaml:1: timezone: must not be empty"},
		{"bad cron", deadlineAt(map[string]string{"cron": `"0 0 35 * *"`}),
			`config.yaml:5: deadlines[0].cron: bad cron "0 0 35 * *": `},
		{"cron with zone", deadlineAt(map[string]string{"cron": `"TZ=UTC 0 0 5 * *"`}),
			`config.yaml:5: deadlines[0].cron: bad cron "TZ=UTC 0 0 5 * *": set the zone`},
		{"bad weekly chart", "weekly_chart: {cron: \"0 0 * * 8\", at: \"9:00\"}\n",
			`config.yaml:1: weekly_chart.cron: bad cron "0 0 * * 8": `},
		{"bad lead", deadlineAt(map[string]string{"lead": "[3d, 3x]"}),
			`config.yaml:6: deadlines[0].lead[1]: bad duration "3x"`},
		{"bad lead on own line", deadlineAt(map[string]string{"lead": "\n      - 1d\n      - 3x"}),
			`config.yaml:8: deadlines[0].lead[1]: bad duration "3x"`},
		{"negative lead", deadlineAt(map[string]string{"lead": "[-1d]"}),
			"config.yaml:6: deadlines[0].lead[0]: must not be negative"},
		{"duplicate lead", deadlineAt(map[string]string{"lead": "[1d, 24h]"}),
			"config.yaml:6: deadlines[0].lead[1]: duplicate lead 1d"},
		{"lead not a list", deadlineAt(map[string]string{"lead": "3d"}),
			`config.yaml:6: deadlines[0].lead: want a list, got "3d"`},
		{"bad at", deadlineAt(map[string]string{"at": `"25:00"`}),
			`config.yaml:7: deadlines[0].at: bad time "25:00"`},
		{"bad at minutes", deadlineAt(map[string]string{"at": `"09:60"`}),
			`config.yaml:7: deadlines[0].at: bad time "09:60"`},
		{"unknown audience", deadlineAt(map[string]string{"audiences": "[liaisons, mayors]"}),
			`config.yaml:8: deadlines[0].audiences[1]: unknown audience "mayors"`},
		{"bad id", deadlineAt(map[string]string{"id": "Monthly Report"}),
			`config.yaml:3: deadlines[0].id: bad id "Monthly Report"`},
		{"duplicate deadline id", deadlineAt(nil) + "  - id: monthly\n    name: x\n    cron: \"0 0 1 * *\"\n    lead: [0d]\n    at: \"10:00\"\n    audiences: [groups]\n",
			`config.yaml:9: deadlines[1].id: duplicate id "monthly" (also deadlines[0])`},
		{"missing deadline field", "deadlines:\n  - id: x\n    name: x\n    cron: \"0 0 1 * *\"\n    at: \"10:00\"\n    audiences: [groups]\n",
			"config.yaml:2: deadlines[0].lead: required"},
		{"duplicate region", "regions:\n  - 盐湖区\n  - 永济市\n  - 盐湖区\n",
			`config.yaml:4: regions[2]: duplicate region "盐湖区" (also regions[0])`},
		{"empty region", `regions: [盐湖区, " "]`,
			"config.yaml:1: regions[1]: empty region"},
		{"null region", "regions: [盐湖区, ~]",
			"config.yaml:1: regions[1]: empty item"},
		{"no regions", "regions: []",
			"config.yaml:1: regions: must list at least one region"},
		{"redis without url", "storage:\n  driver: redis\n",
			"config.yaml:1: storage.url: required when driver is redis"},
		{"redis with http url", "storage: {driver: redis, url: \"http://x\"}",
			`config.yaml:1: storage.url: bad url "http://x"`},
		{"sentinel without master", "storage: {driver: redis, url: \"redis+sentinel://s1:26379/0\"}",
			`config.yaml:1: storage.url: bad url "redis+sentinel://s1:26379/0": a sentinel url needs master_name=NAME`},
		{"unknown redis kind", "storage: {driver: redis, url: \"redis+sentinal://s1:26379/0?master_name=m\"}",
			`config.yaml:1: storage.url: bad url "redis+sentinal://s1:26379/0?master_name=m": want redis://`},
		{"reply deadline too short", "storage: {reply_deadline: 10ms}\n",
			`config.yaml:1: storage.reply_deadline: must be between 200ms and 1m, got 10ms`},
		{"unknown driver", "storage:\n  driver: sqlite\n",
			`config.yaml:2: storage.driver: unknown driver "sqlite"`},
		{"jitter over 100%", "outbox:\n  jitter: 150%\n",
			"config.yaml:2: outbox.jitter: must be between 0% and 100%, got 150%"},
		{"jitter without %", "outbox: {jitter: 0.3}",
			`config.yaml:1: outbox.jitter: bad percentage "0.3"`},
		{"zero rate", "outbox: {rate_per_minute: 0}",
			"config.yaml:1: outbox.rate_per_minute: must be more than 0, got 0"},
		{"zero hourly cap", "outbox: {per_hour: 0}",
			"config.yaml:1: outbox.per_hour: must be more than 0, got 0"},
		{"zero ttl", "invite: {ttl: 0d}",
			"config.yaml:1: invite.ttl: must be more than 0, got 0d"},
		{"short secret key", "invite: {secret_key: abcd}",
			"config.yaml:1: invite.secret_key: want 64 hex digits (innobot keygen prints a new key)"},
		{"zero wrong codes", "invite: {wrong_codes_per_hour: 0}",
			"config.yaml:1: invite.wrong_codes_per_hour: must be more than 0, got 0"},
		{"zero keep", "exports: {keep: 0d}",
			"config.yaml:1: exports.keep: must be more than 0, got 0d"},
		{"backup every second", "backup: {every: 1s}",
			"config.yaml:1: backup.every: must be 0 (no copies) or at least 1m, got 1s"},
		{"backup keeps none", "backup: {keep: 0}",
			"config.yaml:1: backup.keep: must be more than 0, got 0"},
		{"bad ttl", "invite:\n  ttl: week\n",
			`config.yaml:2: invite.ttl: bad duration "week"`},
		{"braces in redis prefix", "storage:\n  driver: redis\n  url: redis://h:6379/0\n  prefix: \"a{b}\"\n",
			`config.yaml:4: storage.prefix: must not contain braces, got "a{b}"`},
		{"empty prefix", `bot: {prefix: ""}`,
			"config.yaml:1: bot.prefix: must not be empty"},
		{"wrong type scalar", "outbox:\n  rate_per_minute: fast\n",
			`config.yaml:2: outbox.rate_per_minute: want a whole number, got "fast"`},
		{"wrong type mapping", "bot: 5\n",
			`config.yaml:1: bot: want a mapping, got "5"`},
		{"wrong type list", "regions: 盐湖区\n",
			`config.yaml:1: regions: want a list, got "盐湖区"`},
		{"wrong type in list", "regions: [盐湖区, [a]]\n",
			"config.yaml:1: regions[1]: want a string, got a list"},
		{"wrong type block", "deadlines:\n  monthly: x\n",
			"config.yaml:1: deadlines: want a list, got a mapping"},
		{"wrong type duration", "invite: {ttl: [1d]}",
			`config.yaml:1: invite.ttl: want a duration like "3d", got a list`},
		{"top level list", "- bot\n",
			"config.yaml:1: want a mapping of settings, got a list"},
		{"two documents", "bot: {name: a}\n---\nbot: {name: b}\n",
			"config.yaml:3: more than one YAML document"},
		{"syntax error", "bot: {name: a\n",
			"config.yaml:1: syntax error: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("config.yaml", []byte(tt.src))
			if err == nil {
				t.Fatalf("Parse succeeded, want error %q\nsource:\n%s", tt.want, tt.src)
			}
			got := err.Error()
			if !strings.HasPrefix(got, tt.want) {
				t.Errorf("error\n got  %q\n want prefix %q\nsource:\n%s", got, tt.want, tt.src)
			}
			if strings.Contains(got, "\n") {
				t.Errorf("error spans lines (want one problem per line): %q", got)
			}
		})
	}
}

func TestParseReportsAllProblemsInLineOrder(t *testing.T) {
	src := `outbox: {rate_per_minute: 0}
regions: [a, a]
deadlines:
  - id: x
    name: x
    cron: "0 0 5 * *"
    lead: [1d]
    at: "24:00"
    audiences: [groups]
`
	_, err := Parse("c.yaml", []byte(src))
	want := `c.yaml:1: outbox.rate_per_minute: must be more than 0, got 0
c.yaml:2: regions[1]: duplicate region "a" (also regions[0])
c.yaml:8: deadlines[0].at: bad time "24:00": want HH:MM from 00:00 to 23:59`
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}

	t.Run("ok", func(t *testing.T) {
		p := write("ok.yaml", "bot: {prefix: \"/\"}\noutbox: {jitter: 5%}\n")
		c, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		if c.Bot != (Bot{Name: "创新助手", Prefix: "/"}) || c.Outbox != (Outbox{RatePerMinute: 50, Jitter: 0.05, PerHour: 600}) {
			t.Errorf("got %+v %+v", c.Bot, c.Outbox)
		}
		if c.Location().String() != "Asia/Shanghai" {
			t.Errorf("Location() = %v", c.Location())
		}
	})
	t.Run("empty file", func(t *testing.T) {
		c, err := Load(write("empty.yaml", ""))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(comparable(c), comparable(Default())) {
			t.Errorf("got %+v, want defaults", c)
		}
	})
	t.Run("error names the path", func(t *testing.T) {
		p := write("bad.yaml", "bot:\n  name: x\nstorage:\n  drver: bolt\n")
		_, err := Load(p)
		want := p + ":4: storage.drver: unknown key"
		if err == nil || err.Error() != want {
			t.Errorf("got %v, want %s", err, want)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := Load(filepath.Join(dir, "nope.yaml"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("got %v, want fs.ErrNotExist", err)
		}
	})
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    Duration
		wantStr string
	}{
		{"3d", 3 * Day, "3d"},
		{"0d", 0, "0d"},
		{"0", 0, "0d"},
		{"12h", Duration(12 * time.Hour), "12h"},
		{"90m", Duration(90 * time.Minute), "90m"},
		{"168h", 7 * Day, "7d"},
		{"1d12h", Duration(36 * time.Hour), "36h"},
		{"45s", Duration(45 * time.Second), "45s"},
		{"-1d", -Day, "-1d"},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			continue
		}
		if s := got.String(); s != tt.wantStr {
			t.Errorf("%q String() = %q, want %q", tt.in, s, tt.wantStr)
		}
		if back, err := ParseDuration(got.String()); err != nil || back != got {
			t.Errorf("%q does not round-trip: %v, %v", tt.in, back, err)
		}
	}
	for _, bad := range []string{"", "3x", "d", "1.5d", "3", "3 days", "1d-2h", "x1d", "99999999999d"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) succeeded, want error", bad)
		}
	}
}

func TestParsePercent(t *testing.T) {
	tests := []struct {
		in      string
		want    Percent
		wantStr string
	}{
		{"30%", 0.30, "30%"},
		{"0%", 0, "0%"},
		{"100%", 1, "100%"},
		{"12.5%", 0.125, "12.5%"},
		{" 7 %", 0.07, "7%"},
	}
	for _, tt := range tests {
		got, err := ParsePercent(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParsePercent(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			continue
		}
		if s := got.String(); s != tt.wantStr {
			t.Errorf("%q String() = %q, want %q", tt.in, s, tt.wantStr)
		}
	}
	for _, bad := range []string{"", "30", "0.3", "%", "abc%", "NaN%", "Inf%"} {
		if _, err := ParsePercent(bad); err == nil {
			t.Errorf("ParsePercent(%q) succeeded, want error", bad)
		}
	}
}

func TestDeadlineClock(t *testing.T) {
	tests := []struct {
		at     string
		h, m   int
		wantOK bool
	}{
		{"09:00", 9, 0, true},
		{"9:30", 9, 30, true},
		{"23:59", 23, 59, true},
		{"00:00", 0, 0, true},
		{"24:00", 0, 0, false},
		{"12:5", 0, 0, false},
		{"+1:00", 0, 0, false},
		{"noon", 0, 0, false},
		{"", 0, 0, false},
	}
	for _, tt := range tests {
		h, m, ok := Deadline{At: tt.at}.Clock()
		if h != tt.h || m != tt.m || ok != tt.wantOK {
			t.Errorf("Clock(%q) = %d, %d, %v; want %d, %d, %v", tt.at, h, m, ok, tt.h, tt.m, tt.wantOK)
		}
	}
}
