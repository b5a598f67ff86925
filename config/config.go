// Package config reads innobot's settings file. Every key is
// optional and falls back to the defaults taken from the 运城 policy notice
// (docs/domain.md), so a fresh install runs with an empty file; every mistake is
// reported as "FILE:LINE: KEY: what is wrong" so it can be fixed without
// reading code.
package config

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Storage drivers, named once so other packages do not compare against
// string literals that could drift from what validation accepts.
const (
	DriverBolt  = "bolt"
	DriverRedis = "redis"
)

// Deadline audiences: who receives a reminder (docs/domain.md, roles).
const (
	AudienceLiaisons     = "liaisons"      // enterprise liaisons, in private chat
	AudienceGroups       = "groups"        // helper-group chats
	AudienceCountyOffice = "county_office" // county office staff
	AudienceCityOffice   = "city_office"   // city office staff
	// AudienceGroupCharts: each helper-group chat gets its region's progress as a picture.
	AudienceGroupCharts = "group_charts"
)

// Config is innobot's settings file. Every key is optional: a missing key
// keeps its default, a partial mapping merges into the default mapping, and
// a list given in the file replaces the default list whole.
type Config struct {
	Bot       Bot        `yaml:"bot"`
	Timezone  string     `yaml:"timezone"` // IANA name; reminders fire on this wall clock
	DataDir   string     `yaml:"data_dir"`
	Storage   Storage    `yaml:"storage"`
	Regions   []string   `yaml:"regions"` // the reporting units, in report order
	Form      string     `yaml:"form"`    // questionnaire YAML path; empty = the embedded 附件3
	Deadlines []Deadline `yaml:"deadlines"`
	Outbox    Outbox     `yaml:"outbox"`
	Invite    Invite     `yaml:"invite"`
	Exports   Exports    `yaml:"exports"`
	WeChat    WeChat     `yaml:"wechat"`
	// WeeklyChart sends the helper groups their progress picture once a week.
	WeeklyChart WeeklyChart `yaml:"weekly_chart"`
	// Backup is the copies a running bot makes of its bolt file.
	Backup Backup `yaml:"backup"`

	loc *time.Location // Timezone, loaded once validation has checked it
}

// Bot holds how the bot presents itself in chats.
type Bot struct {
	Name   string `yaml:"name"`
	Prefix string `yaml:"prefix"` // commands start with it, so chatter is not taken for commands
	// Account names the WeChat account this process speaks for, when several processes (one
	// per account) share one store: contacts and groups remember it, and each process sends
	// only its own account's queued messages. Empty for a single bot.
	Account string `yaml:"account"`
}

// Storage picks where state lives: a bolt file under DataDir for one
// machine, or redis when several processes share state.
type Storage struct {
	Driver string `yaml:"driver"` // DriverBolt or DriverRedis
	// URL names the Redis (needed only for redis): redis://HOST:PORT/DB for one server
	// (rediss:// with TLS), redis+sentinel://SENTINEL:26379/DB?master_name=NAME&addr=… to ask
	// Sentinels for the master, redis+cluster://NODE:PORT?addr=… for a Cluster.
	URL string `yaml:"url"`
	// Prefix separates deployments (or tests) sharing one Redis: the keys are
	// {innobot:PREFIX}:…; every bot of one deployment uses the same prefix.
	Prefix string `yaml:"prefix"`
	// ReplyDeadline bounds the handling of one message, its reads and writes and the
	// settling of a write whose outcome is unknown: a store that is down or hung gets the
	// person 系统繁忙 within it.
	ReplyDeadline Duration `yaml:"reply_deadline"`
}

// Deadline is one recurring reporting date from the notice's calendar and
// the reminders that lead up to it.
type Deadline struct {
	ID        string     `yaml:"id"`   // stable key for storage and commands
	Name      string     `yaml:"name"` // what users read
	Cron      string     `yaml:"cron"` // 5-field cron for the due moment, in Config.Timezone
	Lead      []Duration `yaml:"lead"` // remind this long before the due day; 0d = on the day
	At        string     `yaml:"at"`   // HH:MM wall-clock time of each reminder
	Audiences []string   `yaml:"audiences"`
}

// Outbox paces outgoing messages, because chat platforms throttle or ban
// accounts that send in bursts.
type Outbox struct {
	RatePerMinute int     `yaml:"rate_per_minute"`
	Jitter        Percent `yaml:"jitter"` // random spread around the pace, so sends do not look mechanical
	// PerHour caps the messages of one account in any hour, whatever the pace: a day of
	// reminders after downtime must not go out as one burst.
	PerHour int `yaml:"per_hour"`
}

// WeChat holds what the WeChat transport may do on its own.
type WeChat struct {
	// AcceptFriends accepts friend requests; otherwise the account's owner accepts them on
	// the phone.
	AcceptFriends bool `yaml:"accept_friends"`
}

// Invite configures invite codes and the limits on wrong ones.
type Invite struct {
	TTL Duration `yaml:"ttl"` // how long an unused code stays valid
	// SecretKey is the key codes are hashed with, as 64 hex digits. A bolt deployment leaves
	// it empty and keeps the key in DATA_DIR/secret.key; every bot sharing one Redis needs the
	// same key, given here or in the INNOBOT_SECRET_KEY environment variable (which wins).
	SecretKey string `yaml:"secret_key"`
	// WrongCodesPerHour is the city-wide budget of wrong codes an hour: beyond it, every
	// contact that sent a wrong code is locked out for a day and the city office is told.
	WrongCodesPerHour int `yaml:"wrong_codes_per_hour"`
}

// Backup is the copies `innobot run` makes of a bolt store while it serves (a Redis keeps its
// own: AOF and RDB files).
type Backup struct {
	// Every is the time from one copy to the next, counted from the newest copy in Dir, so
	// that restarts do not put one off; 0 turns the copies off.
	Every Duration `yaml:"every"`
	// Keep is how many of the newest copies stay; older ones are deleted.
	Keep int `yaml:"keep"`
	// Dir is where the copies go; empty means DATA_DIR/backups. A directory on another disk
	// keeps them through the loss of the data's.
	Dir string `yaml:"dir"`
}

// WeeklyChart is the progress picture (进度图) every bound helper group gets once a week,
// of its region (the whole city for a group bound to none).
type WeeklyChart struct {
	// Cron names the days, as a deadline's cron does ("0 0 * * 1": Mondays); empty turns
	// the picture off. A day off moves it to the working day before, as a reminder.
	Cron string `yaml:"cron"`
	// At is the time of day, HH:MM.
	At string `yaml:"at"`
}

// WeeklyChartID is the id the weekly picture's sends are claimed under, as a deadline's are.
const WeeklyChartID = "weekly_chart"

// Deadline is the weekly picture as the reminder schedule runs it: a deadline on its days
// with no lead, whose one audience is the groups' picture.
func (w WeeklyChart) Deadline() Deadline {
	return Deadline{ID: WeeklyChartID, Name: "每周填报进度图", Cron: w.Cron, Lead: []Duration{0}, At: w.At,
		Audiences: []string{AudienceGroupCharts}}
}

// Exports configures the spreadsheets written for chat replies.
type Exports struct {
	// Keep is how long an exported file stays in DATA_DIR/exports before it is deleted: it
	// holds phone numbers and answers, and was sent already.
	Keep Duration `yaml:"keep"`
}

// defaultRegions returns the 14 reporting units in the order of 附件1,
// fresh each call so no two Configs share a backing array.
func defaultRegions() []string {
	return []string{
		"盐湖区", "永济市", "河津市", "临猗县", "万荣县", "稷山县", "新绛县",
		"闻喜县", "绛县", "垣曲县", "夏县", "平陆县", "芮城县", "运城开发区",
	}
}

// defaultDeadlines is the policy's calendar (工作步骤 and 督促考核; docs/domain.md).
func defaultDeadlines() []Deadline {
	lead := func() []Duration { return []Duration{3 * Day, 1 * Day, 0} }
	return []Deadline{
		{ID: "monthly", Name: "月度进展及台账报送", Cron: "0 0 5 * *", Lead: lead(), At: "09:00",
			Audiences: []string{AudienceLiaisons, AudienceGroups, AudienceCountyOffice}},
		{ID: "work_plan", Name: "年度工作计划报送", Cron: "0 0 20 6 *", Lead: lead(), At: "09:00",
			Audiences: []string{AudienceGroups, AudienceCountyOffice}},
		{ID: "annual", Name: "年度全覆盖进展报送", Cron: "0 0 5 1 *", Lead: lead(), At: "09:00",
			Audiences: []string{AudienceGroups, AudienceCountyOffice}},
		{ID: "city_summary", Name: "全市汇总上报", Cron: "0 0 20 1 *", Lead: lead(), At: "09:00",
			Audiences: []string{AudienceCityOffice}},
	}
}

// Default returns the settings an empty file means. Each call builds fresh
// slices, so a caller may modify its copy freely.
func Default() Config {
	c := Config{
		Bot:         Bot{Name: "创新助手", Prefix: "#"},
		Timezone:    "Asia/Shanghai",
		DataDir:     "data",
		Storage:     Storage{Driver: DriverBolt, ReplyDeadline: Duration(2 * time.Second)},
		Regions:     defaultRegions(),
		Deadlines:   defaultDeadlines(),
		Outbox:      Outbox{RatePerMinute: 50, Jitter: 0.30, PerHour: 600},
		Invite:      Invite{TTL: 7 * Day, WrongCodesPerHour: 100},
		Exports:     Exports{Keep: 30 * Day},
		WeeklyChart: WeeklyChart{Cron: "0 0 * * 1", At: "09:00"},
		Backup:      Backup{Every: Day, Keep: 14},
	}
	c.loc, _ = loadLocation(c.Timezone) // cannot fail: loadLocation always knows Asia/Shanghai
	return c
}

// Load reads the settings file at path. A missing file is an error rather
// than a silent fallback to defaults, so a typo in the path is noticed.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data)
}

// Parse reads settings from data; name is only used to label errors, so
// tests and callers holding the text in memory get the same messages.
func Parse(name string, data []byte) (Config, error) {
	c := Default()
	// Windows editors (Notepad) save UTF-8 with a byte-order mark, which
	// would otherwise become part of the first key.
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	// Duplicate keys are left to checkShape, which can name their key path.
	file, err := parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
	if err != nil {
		return Config{}, decodeError(name, nil, err)
	}
	var body ast.Node
	for _, doc := range file.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if body != nil {
			return Config{}, &fileError{file: name, line: lineOf(doc.Body),
				msg: "more than one YAML document; settings belong in one"}
		}
		body = doc.Body
	}
	if body == nil || body.Type() == ast.NullType {
		return c, nil
	}
	if t := unwrap(body).Type(); t != ast.MappingType && t != ast.MappingValueType {
		return Config{}, &fileError{file: name, line: lineOf(body),
			msg: "want a mapping of settings, got " + describeNode(unwrap(body))}
	}
	pos := indexPositions(body)
	if p := pos.checkShape(body, reflect.TypeFor[Config](), "", 0); p != nil {
		return Config{}, sortedErrors(name, pos, []problem{*p})
	}
	// Duplicate keys are allowed here only because checkShape has already
	// rejected real ones; what remains are "<<" merges overridden by an
	// explicit key, which YAML permits.
	dec := yaml.NewDecoder(bytes.NewReader(nil), yaml.Strict(), yaml.DisallowUnknownField(), yaml.AllowDuplicateMapKey())
	if err := dec.DecodeFromNode(body, &c); err != nil {
		return Config{}, decodeError(name, pos, err)
	}
	if err := sortedErrors(name, pos, c.validate()); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Location returns the time zone deadlines are computed in. It is loaded
// once by Default, Load and Parse; a Config whose Timezone was changed by
// hand is reloaded, and one with an unusable zone gets UTC.
func (c Config) Location() *time.Location {
	if c.loc != nil && c.loc.String() == c.Timezone {
		return c.loc
	}
	if loc, err := loadLocation(c.Timezone); err == nil {
		return loc
	}
	return time.UTC
}

// loadLocation is time.LoadLocation that still knows the default zone on
// hosts without a tz database (slim containers): China has kept UTC+8 with
// no daylight saving since 1991, so a fixed zone is exact for the bot.
func loadLocation(name string) (*time.Location, error) {
	loc, err := time.LoadLocation(name)
	if err != nil && name == "Asia/Shanghai" {
		return time.FixedZone(name, 8*60*60), nil
	}
	return loc, err
}

func unwrap(n ast.Node) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		default:
			return n
		}
	}
}

func lineOf(n ast.Node) int {
	if tok := n.GetToken(); tok != nil {
		return tok.Position.Line
	}
	return 0
}
