package storage

import (
	"context"

	"innobot/survey"
)

// FactsRefresher is a store that works the Facts of its submissions out again when the rule
// that computed them changes (survey.Form.FactsRule), so that progress and every export count
// each submission by the rule of today: a direction answered 没开展 before the lexicon knew
// the word was stored as 有创新活动, and would stay so in the ledger's heads for ever.
type FactsRefresher interface {
	// RefreshFacts does nothing when the store's facts were last worked out under rule.
	// Otherwise it sets each submission's Facts, and the ledger's head of it, to what facts
	// says of the submission where facts says so (ok), keeps everything else of it (answers,
	// version, time, who), remembers rule, and returns how many submissions changed. It is
	// meant for a store no bot is writing to yet (as it is opened): a submission made
	// meanwhile may keep its facts until the next rule.
	RefreshFacts(ctx context.Context, rule string, facts func(Submission) (x survey.Facts, ok bool)) (int, error)
}
