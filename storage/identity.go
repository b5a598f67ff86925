package storage

import (
	"context"
	"time"
)

// Kinds of Identity.
const (
	IdentityContact = "contact" // a friend of the bot account
	IdentityGroup   = "group"   // a group chat
	IdentityMember  = "member"  // someone met only in a group, not a friend
	IdentityAccount = "account" // the bot account itself: which WeChat account may log in
)

// Identity is how a transport recognises a person or a group again once its own ids have
// changed (WeChat's change at every login): the stable ID that contacts and groups are keyed by,
// and the names and marks it was last recognised by. The transport owns the rules that read it
// (bot/wechat); the store only keeps it, per bot account.
type Identity struct {
	// ID is the stable id: Contact.ID or Group.ID once bound.
	ID string `json:"id"`
	// Account is the bot account (config bot.account) the record belongs to: names are
	// meaningful only within one account's address book.
	Account string `json:"account"`
	Kind    string `json:"kind"` // IdentityContact, IdentityGroup, IdentityMember, IdentityAccount
	// Scope is, for a member, the ID of the group the member was met in.
	Scope      string `json:"scope,omitempty"`
	RemarkName string `json:"remark_name,omitempty"` // 备注, set by the bot account's owner
	NickName   string `json:"nick_name,omitempty"`   // set by the person, or a group's name
	// UserName is the platform's id of the holder in the login it was last seen in.
	UserName string `json:"user_name,omitempty"`
	// Profile is a digest of what else the platform shows of the holder, used only to tell
	// apart two holders of the same names.
	Profile string `json:"profile,omitempty"`
	// Uin is, for the bot account's own record, the WeChat account pinned to it.
	Uin       string    `json:"uin,omitempty"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// Listed is true once a login's full listing of contacts showed the holder; Misses then
	// counts the listings in a row that did not.
	Listed bool `json:"listed,omitempty"`
	Misses int  `json:"misses,omitempty"`
	// Contested is true once another holder of the same names was seen at the same time: the
	// names alone no longer say who is who.
	Contested bool `json:"contested,omitempty"`
	// Retired is true once the holder was missing for long: the record is kept (and its ID
	// never given to anyone else) but no longer matched.
	Retired bool `json:"retired,omitempty"`
}

// Identities keeps a transport's identity records.
type Identities interface {
	// Identities returns the records of a bot account, ordered by ID.
	Identities(ctx context.Context, account string) ([]Identity, error)
	// PutIdentities adds or replaces records, each by its Account and ID, in one atomic
	// write.
	PutIdentities(ctx context.Context, ids []Identity) error
}

// CheckIdentity refuses a record the stores cannot key: no ID or no kind, or NUL in the
// account (the backends key records by account NUL ID).
func CheckIdentity(i Identity) error {
	if err := CheckID("identity id", i.ID); err != nil {
		return err
	}
	if err := CheckID("identity kind", i.Kind); err != nil {
		return err
	}
	return CheckNUL("account", i.Account)
}

// CheckIdentities is CheckIdentity of each record.
func CheckIdentities(ids []Identity) error {
	for _, i := range ids {
		if err := CheckIdentity(i); err != nil {
			return err
		}
	}
	return nil
}
