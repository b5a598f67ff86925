package wechat

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/eatmoreapple/openwechat"

	"innobot/bot"
)

// offlineHold is how long a send that found no login holds every send: waiting for a login
// (a QR scan may take hours) is the queue's matter, not each message's.
const offlineHold = time.Minute

// pauseReset is how long after a pause ends a new "operate too often" starts again from
// Config.Cooldown rather than doubling the last pause.
const pauseReset = time.Hour

// Send sends one text or file to a contact (To) or a group (Group) by their stable ids, in
// the current login; it waits up to Config.SendWait for a login. One send runs at a time;
// the caller (bot.Outbox) spaces them. Errors: ErrNotLoggedIn, as a *bot.Paused for a minute;
// ErrUnknownPeer (a bot.ErrUnreachable: final); *bot.Paused after WeChat's "operate too
// often" (ret 1205), until the pause ends; or what WeChat answered. No error carries a
// session secret.
func (t *Transport) Send(ctx context.Context, out bot.Outgoing) (err error) {
	defer func() {
		if err != nil {
			t.sendErrors.Add(1)
			err = redactErr(err)
			t.log.Warn("WeChat send failed", "to", out.To, "group", out.Group, "file", out.File, "err", err)
		}
	}()
	target := out.To
	if out.Group != "" {
		target = out.Group
	}
	switch {
	case target == "":
		return errors.New("wechat: send without a recipient")
	case out.Text == "" && out.File == "":
		return errors.New("wechat: nothing to send")
	}
	if p := t.paused(); p != nil {
		return p
	}
	s, err := t.current(ctx)
	if errors.Is(err, ErrNotLoggedIn) {
		return &bot.Paused{Until: time.Now().Add(offlineHold), Err: err}
	}
	if err != nil {
		return err
	}
	s.mu.Lock()
	userName, ok := s.userOf[target]
	complete := s.complete
	s.mu.Unlock()
	if !ok {
		if !complete {
			// The contact list of this login could not be read: the next login may know them.
			return fmt.Errorf("wechat: %s is not known in this login, whose contact list failed", target)
		}
		return fmt.Errorf("%w: %s", ErrUnknownPeer, target)
	}
	var file *os.File
	if out.File != "" {
		// Opened from its path, so WeChat shows the file under its own name; openwechat
		// renames any other reader to a random number.
		if file, err = openUpload(out.File); err != nil {
			return err
		}
		defer func() { _ = file.Close() }() // read only: nothing to lose on a failed close
	}
	err = t.alone(ctx, func() error {
		return safely(func() error {
			info, req := s.bot.Storage.LoginInfo, s.bot.Storage.Request
			if out.Text != "" {
				msg := openwechat.NewTextSendMessage(out.Text, s.selfUN, userName)
				if _, err := s.bot.Caller.WebWxSendMsg(ctx, &openwechat.CallerWebWxSendMsgOptions{LoginInfo: info, BaseRequest: req, Message: msg}); err != nil {
					return err
				}
			}
			if file != nil {
				_, err := s.bot.Caller.WebWxSendFile(ctx, file, &openwechat.CallerWebWxSendFileOptions{
					FromUserName: s.selfUN, ToUserName: userName, BaseRequest: req, LoginInfo: info})
				return err
			}
			return nil
		})
	})
	if err == nil {
		t.sent.Add(1)
		return nil
	}
	return t.sendFailed(s, err)
}

// alone runs op (a send, or accepting a friend) when no other runs; after "operate too often"
// (ret 1205) it starts a pause that grows with each repeat. The pace of sends is the outbox's
// (bot.Outbox), through which every message goes: the transport adds none of its own.
func (t *Transport) alone(ctx context.Context, op func() error) error {
	select {
	case t.sendSem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-t.sendSem }()
	if p := t.paused(); p != nil {
		return p
	}
	err := op()
	var ret openwechat.Ret
	if errors.As(err, &ret) && ret == 1205 {
		return t.startPause(err)
	}
	return err
}

// startPause pauses all sends after WeChat's "operate too often": Cooldown at first, twice
// the last pause when the last ended less than pauseReset ago, at most CooldownMax.
func (t *Transport) startPause(cause error) error {
	now := time.Now()
	t.pauseMu.Lock()
	d := t.cfg.Cooldown
	if t.pause > 0 && now.Sub(t.pausedUntil) < pauseReset {
		d = min(2*t.pause, t.cfg.CooldownMax)
	}
	t.pause, t.pausedUntil = d, now.Add(d)
	until := t.pausedUntil
	t.pauseMu.Unlock()
	t.log.Error("WeChat says the bot sends too often (ret 1205); pausing all sends", "for", d)
	return &bot.Paused{Until: until, Err: fmt.Errorf("wechat: %w", cause)}
}

// paused returns the pause under way, nil when sends may go.
func (t *Transport) paused() *bot.Paused {
	t.pauseMu.Lock()
	defer t.pauseMu.Unlock()
	if time.Now().Before(t.pausedUntil) {
		return &bot.Paused{Until: t.pausedUntil, Err: errors.New("wechat: WeChat asked the bot to send less often (ret 1205)")}
	}
	return nil
}

// sendFailed reacts to what WeChat answered (start a new login, or a scan) and returns the
// error for the caller.
func (t *Transport) sendFailed(s *session, err error) error {
	var paused *bot.Paused
	switch {
	case errors.As(err, &paused):
		return err
	case isLoggedOut(err):
		s.kill(fmt.Errorf("wechat: send found the session logged out: %w", err))
	case errors.Is(err, openwechat.ErrWebWxDataTicketNotFound):
		t.log.Error("WeChat session lost webwx_data_ticket; logging in again by QR scan so that files can be sent")
		if cerr := OpenHotLogin(t.hotPath).Clear(); cerr != nil {
			t.log.Error("clearing the saved session", "err", cerr)
		}
		s.kill(errNoTicket)
	}
	return fmt.Errorf("wechat: send: %w", err)
}

// openUpload opens a file to send; WeChat refuses empty files, and directories are a mistake.
func openUpload(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("wechat: %w", err)
	}
	st, err := f.Stat()
	switch {
	case err != nil:
	case st.IsDir():
		err = fmt.Errorf("%s is a directory", path)
	case st.Size() == 0:
		err = fmt.Errorf("%s is empty; WeChat refuses empty files", path)
	}
	if err != nil {
		_ = f.Close() // read only; the error that matters is err
		return nil, fmt.Errorf("wechat: %w", err)
	}
	return f, nil
}
