package bot_test

import (
	"context"
	"slices"
	"testing"

	"innobot/bot"
)

// Middleware given to Chain sees a message in the order it is listed, before the handler.
func TestChainRunsOutermostFirst(t *testing.T) {
	var got []string
	mark := func(name string) bot.Middleware {
		return func(next bot.Handler) bot.Handler {
			return bot.HandlerFunc(func(ctx context.Context, w bot.Replier, m *bot.Message) error {
				got = append(got, name)
				return next.ServeMessage(ctx, w, m)
			})
		}
	}
	h := bot.Chain(bot.HandlerFunc(func(context.Context, bot.Replier, *bot.Message) error {
		got = append(got, "handler")
		return nil
	}), mark("first"), mark("second"), mark("third"))
	if err := h.ServeMessage(t.Context(), nil, &bot.Message{}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"first", "second", "third", "handler"}; !slices.Equal(got, want) {
		t.Errorf("ran %q, want %q", got, want)
	}
}
