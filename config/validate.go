package config

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"innobot/invite"
)

var audiences = []string{AudienceLiaisons, AudienceGroups, AudienceCountyOffice, AudienceCityOffice, AudienceGroupCharts}

// validate checks values the decoder cannot (ranges, formats, references)
// and loads the time zone. It reports every problem, not just the first,
// so one edit round fixes the file.
func (c *Config) validate() []problem {
	var ps []problem
	add := func(path, format string, args ...any) {
		ps = append(ps, problem{path: path, msg: fmt.Sprintf(format, args...)})
	}

	if strings.TrimSpace(c.Bot.Name) == "" {
		add("bot.name", "must not be empty")
	}
	if c.Bot.Prefix == "" {
		add("bot.prefix", "must not be empty")
	} else if strings.ContainsAny(c.Bot.Prefix, " \t\r\n") {
		add("bot.prefix", "must not contain spaces, got %q", c.Bot.Prefix)
	}

	if c.Timezone == "" {
		add("timezone", `must not be empty (want an IANA name like "Asia/Shanghai")`)
	} else if loc, err := loadLocation(c.Timezone); err != nil {
		add("timezone", `unknown time zone %q (want an IANA name like "Asia/Shanghai")`, c.Timezone)
	} else {
		c.loc = loc
	}

	if strings.TrimSpace(c.DataDir) == "" {
		add("data_dir", "must not be empty")
	}

	switch c.Storage.Driver {
	case DriverBolt:
	case DriverRedis:
		if c.Storage.URL == "" {
			add("storage.url", "required when driver is redis")
		} else if msg := checkRedisURL(c.Storage.URL); msg != "" {
			add("storage.url", "bad url %q: %s", c.Storage.URL, msg)
		}
		if strings.ContainsAny(c.Storage.Prefix, "{}") {
			add("storage.prefix", "must not contain braces, got %q", c.Storage.Prefix)
		}
	default:
		add("storage.driver", "unknown driver %q (want %s or %s)", c.Storage.Driver, DriverBolt, DriverRedis)
	}

	if d := c.Storage.ReplyDeadline.Std(); d < 200*time.Millisecond || d > time.Minute {
		add("storage.reply_deadline", "must be between 200ms and 1m, got %s", c.Storage.ReplyDeadline)
	}

	if len(c.Regions) == 0 {
		add("regions", "must list at least one region")
	}
	firstRegion := map[string]int{}
	for i, r := range c.Regions {
		p := "regions[" + strconv.Itoa(i) + "]"
		if strings.TrimSpace(r) == "" {
			add(p, "empty region")
			continue
		}
		if j, dup := firstRegion[r]; dup {
			add(p, "duplicate region %q (also regions[%d])", r, j)
			continue
		}
		firstRegion[r] = i
	}

	firstID := map[string]int{}
	for i := range c.Deadlines {
		ps = append(ps, c.Deadlines[i].validate("deadlines["+strconv.Itoa(i)+"]", firstID, i)...)
	}

	if c.WeeklyChart.Cron != "" {
		ps = append(ps, c.WeeklyChart.Deadline().validate("weekly_chart", firstID, len(c.Deadlines))...)
	}

	if c.Outbox.RatePerMinute <= 0 {
		add("outbox.rate_per_minute", "must be more than 0, got %d", c.Outbox.RatePerMinute)
	}
	if c.Outbox.PerHour <= 0 {
		add("outbox.per_hour", "must be more than 0, got %d", c.Outbox.PerHour)
	}
	if c.Outbox.Jitter < 0 || c.Outbox.Jitter > 1 {
		add("outbox.jitter", "must be between 0%% and 100%%, got %s", c.Outbox.Jitter)
	}

	if c.Invite.TTL <= 0 {
		add("invite.ttl", "must be more than 0, got %s", c.Invite.TTL)
	}
	if c.Invite.SecretKey != "" {
		if _, err := invite.ParseKey(c.Invite.SecretKey); err != nil {
			add("invite.secret_key", "want 64 hex digits (innobot keygen prints a new key)")
		}
	}
	if c.Invite.WrongCodesPerHour <= 0 {
		add("invite.wrong_codes_per_hour", "must be more than 0, got %d", c.Invite.WrongCodesPerHour)
	}
	if c.Backup.Every != 0 && c.Backup.Every < Duration(time.Minute) {
		add("backup.every", "must be 0 (no copies) or at least 1m, got %s", c.Backup.Every)
	}
	if c.Backup.Keep <= 0 {
		add("backup.keep", "must be more than 0, got %d", c.Backup.Keep)
	}
	if c.Exports.Keep <= 0 {
		add("exports.keep", "must be more than 0, got %s", c.Exports.Keep)
	}
	return ps
}

// validate checks one deadline; firstID spans the list so ids stay unique,
// since reminders already sent are remembered by id.
func (d Deadline) validate(path string, firstID map[string]int, i int) []problem {
	var ps []problem
	add := func(key, format string, args ...any) {
		ps = append(ps, problem{path: path + key, msg: fmt.Sprintf(format, args...)})
	}

	switch {
	case d.ID == "":
		add(".id", "required")
	case !validID(d.ID):
		add(".id", "bad id %q: use lowercase letters, digits, _ and -", d.ID)
	default:
		if j, dup := firstID[d.ID]; dup {
			add(".id", "duplicate id %q (also deadlines[%d])", d.ID, j)
		} else {
			firstID[d.ID] = i
		}
	}

	if strings.TrimSpace(d.Name) == "" {
		add(".name", "required")
	}

	switch {
	case d.Cron == "":
		add(".cron", "required")
	case strings.HasPrefix(d.Cron, "TZ=") || strings.HasPrefix(d.Cron, "CRON_TZ="):
		add(".cron", "bad cron %q: set the zone with the top-level timezone key instead", d.Cron)
	default:
		if _, err := cron.ParseStandard(d.Cron); err != nil {
			add(".cron", "bad cron %q: %v", d.Cron, err)
		}
	}

	if len(d.Lead) == 0 {
		add(".lead", `required: list when to remind, like [3d, 1d, 0d]`)
	}
	seenLead := map[Duration]bool{}
	for j, l := range d.Lead {
		lp := ".lead[" + strconv.Itoa(j) + "]"
		switch {
		case l < 0:
			add(lp, "must not be negative, got %s", l)
		case seenLead[l]:
			add(lp, "duplicate lead %s", l)
		}
		seenLead[l] = true
	}

	if d.At == "" {
		add(".at", `required: the time of day to remind, like "09:00"`)
	} else if _, _, ok := parseClock(d.At); !ok {
		add(".at", "bad time %q: want HH:MM from 00:00 to 23:59", d.At)
	}

	if len(d.Audiences) == 0 {
		add(".audiences", "required: list who is reminded (%s)", strings.Join(audiences, ", "))
	}
	seenAud := map[string]bool{}
	for j, a := range d.Audiences {
		ap := ".audiences[" + strconv.Itoa(j) + "]"
		switch {
		case !isAudience(a):
			add(ap, "unknown audience %q (want one of %s)", a, strings.Join(audiences, ", "))
		case seenAud[a]:
			add(ap, "duplicate audience %q", a)
		}
		seenAud[a] = true
	}
	return ps
}

func isAudience(a string) bool {
	for _, x := range audiences {
		if a == x {
			return true
		}
	}
	return false
}

func validID(id string) bool {
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return id != ""
}

// Clock returns At as hour and minute, so schedulers need not re-parse a
// string that validation has already accepted. ok is false only for a
// Deadline that did not come through Load, Parse or Default.
func (d Deadline) Clock() (hour, minute int, ok bool) {
	return parseClock(d.At)
}

// parseClock reads "HH:MM" (a one-digit hour is accepted, as people write
// "9:00").
func parseClock(s string) (hour, minute int, ok bool) {
	h, m, found := strings.Cut(s, ":")
	if !found || len(h) < 1 || len(h) > 2 || len(m) != 2 {
		return 0, 0, false
	}
	hour, err1 := strconv.Atoi(h)
	minute, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || h[0] == '+' || h[0] == '-' || m[0] == '+' || m[0] == '-' ||
		hour < 0 || hour > 23 || minute < 0 || minute > 59 {
		return 0, 0, false
	}
	return hour, minute, true
}

// checkRedisURL says what is wrong with a Redis URL's shape, "" if nothing: the scheme names
// the kind of deployment, and a Sentinel URL must name the master the Sentinels watch. The
// store reads the rest when it connects.
func checkRedisURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "want redis://host:port/db, rediss://..., redis+sentinel://... or redis+cluster://..."
	}
	switch strings.ToLower(u.Scheme) {
	case "redis", "rediss", "redis+cluster", "rediss+cluster":
	case "redis+sentinel", "rediss+sentinel":
		if u.Query().Get("master_name") == "" {
			return "a sentinel url needs master_name=NAME (the master the Sentinels watch)"
		}
	default:
		return "want redis://host:port/db, rediss://..., redis+sentinel://... or redis+cluster://..."
	}
	return ""
}
