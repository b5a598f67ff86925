package wechat

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/eatmoreapple/openwechat"

	"innobot/bot"
)

// Send sends one text or file to a contact (To) or a group (Group) by their stable ids, in
// the current login; it waits up to Config.SendWait for a login. Sends are spaced by the
// transport's pace. Errors: ErrNotLoggedIn, ErrUnknownPeer, or what WeChat answered.
func (t *Transport) Send(ctx context.Context, out bot.Outgoing) (err error) {
	defer func() {
		if err != nil {
			t.sendErrors.Add(1)
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
	s, err := t.current(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	userName, ok := s.userOf[target]
	s.mu.Unlock()
	if !ok {
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
	select {
	case t.sendSem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-t.sendSem }()
	if err := sleepCtx(ctx, time.Until(t.nextSend)); err != nil {
		return err
	}
	// openwechat's …ToFriend and …ToGroup sends differ only in their parameter type: both
	// address the UserName alone (user.go:432-454, 595-617), so one call serves both.
	to := &openwechat.Friend{User: &openwechat.User{UserName: userName}}
	err = safely(func() error {
		if out.Text != "" {
			if _, err := s.self.SendTextToFriend(to, out.Text); err != nil {
				return err
			}
		}
		if file != nil {
			_, err := s.self.SendFileToFriend(to, file)
			return err
		}
		return nil
	})
	t.nextSend = time.Now().Add(t.gap())
	if err == nil {
		t.sent.Add(1)
		return nil
	}
	t.sendFailed(s, err)
	return fmt.Errorf("wechat: send: %w", err)
}

// gap is the pause before the next send: Pace spread by Jitter.
func (t *Transport) gap() time.Duration {
	j := t.cfg.Jitter
	return time.Duration(float64(t.cfg.Pace) * (1 - j + 2*j*rand.Float64()))
}

// sendFailed reacts to what WeChat answered: slow down, or start a new login.
func (t *Transport) sendFailed(s *session, err error) {
	var ret openwechat.Ret
	_, out := loggedOut(err)
	switch {
	case errors.As(err, &ret) && ret == 1205:
		t.nextSend = time.Now().Add(t.cfg.Cooldown)
		t.log.Error("WeChat says the bot sends too often (ret 1205); pausing all sends", "for", t.cfg.Cooldown)
	case out:
		s.kill(fmt.Errorf("wechat: send found the session logged out: %w", err))
	case errors.Is(err, openwechat.ErrWebWxDataTicketNotFound):
		t.log.Error("WeChat session lost webwx_data_ticket; logging in again by QR scan so that files can be sent")
		if cerr := OpenHotLogin(t.hotPath).Clear(); cerr != nil {
			t.log.Error("clearing the saved session", "err", cerr)
		}
		s.kill(errNoTicket)
	}
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
