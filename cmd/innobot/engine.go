package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"innobot/assistant"
	"innobot/bot"
	"innobot/config"
	"innobot/invite"
	"innobot/reminders"
	"innobot/storage"
	"innobot/storage/bolt"
	storeredis "innobot/storage/redis"
	"innobot/survey"
)

// settings are what every command reads before it starts: the config and the data dir.
type settings struct {
	cfg  config.Config
	form *survey.Form
	dir  string
	pace bot.Pace // how fast the outbox sends; zero sends at once (the simulator without --pace)
	// perHour caps the outbox's sends in any hour; 0, as in the simulator, for no cap.
	perHour int
	// flood is the most messages a contact may send a minute; 0, as in the simulator, lets
	// programs that drive it send as fast as they like.
	flood int
	// progress hears what opening the store does that takes a while (checking a large bolt
	// file): the command's standard error; nil says nothing.
	progress io.Writer
}

// settingsFlags adds --data and --config to a command's flags and returns what reads the
// settings they name, once the flags are parsed.
func settingsFlags(fs *flag.FlagSet) func() (settings, error) {
	dataDir := fs.String("data", "", "数据目录（默认取配置的 data_dir）")
	configPath := fs.String("config", "", "配置文件（YAML）")
	return func() (settings, error) {
		st, err := loadSettings(*configPath, *dataDir)
		st.progress = fs.Output()
		return st, err
	}
}

// loadSettings reads --config (when given) and applies --data over the config's data_dir.
func loadSettings(configPath, dataDir string) (settings, error) {
	cfg := config.Default()
	if configPath != "" {
		var err error
		if cfg, err = config.Load(configPath); err != nil {
			return settings{}, err
		}
	}
	st := settings{cfg: cfg, dir: cfg.DataDir, form: survey.Default()}
	if dataDir != "" {
		st.dir = dataDir
	}
	if cfg.Form != "" {
		f, err := survey.Load(cfg.Form)
		if err != nil {
			return settings{}, err
		}
		st.form = f
	}
	return st, nil
}

// boltPath is the bolt store's file in the data dir.
func (st settings) boltPath() string { return filepath.Join(st.dir, "innobot.db") }

// backupDir is where `innobot run` writes its scheduled copies (config backup.dir).
func (st settings) backupDir() string {
	if st.cfg.Backup.Dir != "" {
		return st.cfg.Backup.Dir
	}
	return filepath.Join(st.dir, "backups")
}

// withStore opens the configured store, runs fn on it and closes it, returning both errors:
// what a one-shot command does.
func (st settings) withStore(fn func(storage.Backend) error) error {
	store, err := st.openStore()
	if err != nil {
		return err
	}
	return errors.Join(fn(store), store.Close())
}

// openStore opens the configured store, its submissions' facts worked out under this build's
// rule (refreshFacts).
func (st settings) openStore() (storage.Backend, error) {
	ctx := context.Background()
	var store storage.Backend
	var err error
	switch st.cfg.Storage.Driver {
	case "", "bolt":
		if err := os.MkdirAll(st.dir, 0o750); err != nil {
			return nil, fmt.Errorf("data dir: %w", err)
		}
		store, err = bolt.Open(st.boltPath(), bolt.WithProgress(st.progress))
	case config.DriverRedis:
		store, err = storeredis.Open(ctx, st.cfg.Storage.URL, st.cfg.Storage.Prefix)
	default:
		return nil, fmt.Errorf("storage driver %q is not available in this build", st.cfg.Storage.Driver)
	}
	if err != nil {
		return nil, err
	}
	if err := refreshFacts(ctx, store, st.form); err != nil {
		return nil, errors.Join(err, store.Close())
	}
	return store, nil
}

// refreshFacts brings the facts of every stored submission of the form to the form's rule
// (survey.Form.FactsRule): the ledger counts stored facts, and without this a submission made
// before the rule changed (a 没开展 stored as text before it meant 无) would count by the old
// rule in every figure and export. Submissions of another form are left as they are. Nothing
// is read when the rule has not changed since the last start.
func refreshFacts(ctx context.Context, store storage.FactsRefresher, form *survey.Form) error {
	n, err := store.RefreshFacts(ctx, form.FactsRule(), func(sub storage.Submission) (survey.Facts, bool) {
		if sub.Form != form.ID {
			return survey.Facts{}, false
		}
		return form.Facts(sub.Answers), true
	})
	if err != nil {
		return fmt.Errorf("work out the submissions' facts again: %w", err)
	}
	if n > 0 {
		slog.Info("worked out the facts of submissions made under an earlier rule again", "changed", n)
	}
	return nil
}

// engine is one running bot over one store: what !restart closes and opens again.
type engine struct {
	store  storage.Backend
	key    invite.Key // hashes invite codes
	svc    *assistant.Service
	router *bot.Router
	remind *reminding // the paced outbox and the reminders (reminders.go)
}

func (st settings) openEngine(ctx context.Context, clock bot.Clock, sender bot.Sender, log *slog.Logger) (*engine, error) {
	store, err := st.openStore()
	if err != nil {
		return nil, err
	}
	eng, err := st.newEngine(ctx, store, clock, sender, log)
	if err != nil {
		return nil, errors.Join(err, store.Close())
	}
	return eng, nil
}

// newEngine wires the service, the router, reminders and the outbox over an open store.
func (st settings) newEngine(ctx context.Context, store storage.Backend, clock bot.Clock, sender bot.Sender, log *slog.Logger) (*engine, error) {
	key, err := st.inviteKey(log)
	if err != nil {
		return nil, err
	}
	svc := &assistant.Service{
		Store: store, Form: st.form, Clock: clock, Location: st.cfg.Location(), Periods: st.periods(),
		BotName: st.cfg.Bot.Name, Prefix: st.cfg.Bot.Prefix, Account: st.cfg.Bot.Account, Log: log,
		Regions: st.cfg.Regions, InviteTTL: time.Duration(st.cfg.Invite.TTL), FloodLimit: st.flood, Key: key,
		WrongCodeBudget: st.cfg.Invite.WrongCodesPerHour,
		ExportDir:       filepath.Join(st.dir, "exports"), ExportKeep: time.Duration(st.cfg.Exports.Keep),
	}
	if risk := storageHealth(ctx, store).Durability; risk != "" {
		log.Warn("a crash of the store may undo writes it acknowledged", "risk", risk)
	}
	if err := svc.Maintain(ctx); err != nil {
		log.Error("maintenance", "err", err)
	}
	remind := st.reminding(store, clock, sender, log)
	if remind.engine != nil {
		svc.Nudge = func(ctx context.Context, region string, now time.Time) (assistant.NudgeResult, error) {
			res, err := remind.engine.Nudge(ctx, reminders.Scope{Region: region}, now)
			out := assistant.NudgeResult{Sent: res.Sent, Already: res.Already, Messages: res.Messages}
			for _, e := range res.Unbound {
				out.Unbound = append(out.Unbound, e.Name)
			}
			return out, err
		}
	}
	router := &bot.Router{
		Handler: svc.Handler(), Store: store, Account: st.cfg.Bot.Account, Clock: clock, Log: log,
		Deadline: st.cfg.Storage.ReplyDeadline.Std(),
		// The outbox sends the replies as soon as they are stored; when the store cannot
		// take them, they go out straight away, at the outbox's pace.
		Queued: remind.outbox.Kick, Fallback: remind.outbox.Sender(),
	}
	return &engine{store: store, key: key, svc: svc, router: router, remind: remind}, nil
}

// maintainEvery runs the service's Maintain every interval until ctx ends: what is kept only
// for a while (handled message ids, wrong codes, expired codes, old exports) is removed while
// the bot runs, not only at start.
func (e *engine) maintainEvery(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := e.svc.Maintain(ctx); err != nil {
				log.Error("maintenance", "err", err)
			}
		}
	}
}

// close waits for messages under way, then closes the store.
func (e *engine) close() error {
	e.router.Wait()
	if err := e.store.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}
