// Package reminders makes sure nobody misses a deadline of the campaign's calendar
// (docs/domain.md): every deadline of the config, each of its lead times, once, on a working day,
// to the people who still have something to do.
//
// The pieces, from the inside out:
//
//   - Calendar: China's working days (official holidays and 调休 working weekends from
//     github.com/6tail/lunar-go, operator overrides on top). A deadline or a reminder on a day
//     off moves to the working day before.
//   - Schedule: each deadline's cron (robfig/cron/v3) names due days; each due day, shifted,
//     gives one Occurrence per lead time, keyed like monthly:2026-12-05:3d.
//   - Audience: who hears about an occurrence and what they read (Audiences reads the store).
//   - Engine: Tick claims due occurrences in storage with their messages in one atomic write
//     (storage.Outbox.ClaimReminder), so a restart or a second instance never sends twice.
//     Occurrences older than the grace window are not sent late: the city office gets a
//     report instead. Run drives Tick from a cron entry every minute; the claims, not cron,
//     are the record of what fired.
//
// Messages only enter the outbox here; bot.Outbox sends them at a pace WeChat tolerates.
//
// Periods: Schedule.Periods is the one rule of which month a moment reports for (the month
// before the next monthly deadline, moved off days off), which the survey, the chat commands,
// the exports and every reminder share: a reminder counts and chases the month being reported
// when it goes out (each Occurrence's Period), so the monthly deadline of 5 December chases
// 2026-11 (每月5日前 报送上月进展) and the work plan's of mid-June chases June. An enterprise is
// lagging for period P when its latest submission up to P is of an earlier period.
package reminders
