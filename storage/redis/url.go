package redis

import (
	"fmt"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Kinds of deployment a URL names, by the part of its scheme after "+": redis:// and
// rediss:// are one server, redis+sentinel:// (rediss+sentinel://) asks Sentinels for the
// master, redis+cluster:// (rediss+cluster://) is a Cluster.
const (
	kindServer   = ""
	kindSentinel = "sentinel"
	kindCluster  = "cluster"
)

// splitScheme reads a URL's scheme as the go-redis scheme (redis or rediss, TLS) and the kind
// of deployment; ok is false for any other scheme.
func splitScheme(rawURL string) (base, kind string, ok bool) {
	scheme, _, found := strings.Cut(rawURL, "://")
	if !found {
		return "", "", false
	}
	base, kind, _ = strings.Cut(strings.ToLower(scheme), "+")
	ok = (base == "redis" || base == "rediss") && (kind == kindServer || kind == kindSentinel || kind == kindCluster)
	return base, kind, ok
}

// dial makes the client of a URL, as go-redis reads each kind (ParseURL, ParseFailoverURL
// with the Sentinels' addresses and master_name, ParseClusterURL with the nodes'), with the
// short timeouts Open describes wherever the URL sets none.
func dial(rawURL string) (goredis.UniversalClient, error) {
	base, kind, ok := splitScheme(rawURL)
	if !ok {
		return nil, fmt.Errorf("redis url: want redis://, rediss://, redis+sentinel:// or redis+cluster://")
	}
	u := base + rawURL[strings.Index(rawURL, "://"):]
	switch kind {
	case kindSentinel:
		opt, err := goredis.ParseFailoverURL(u)
		if err != nil {
			return nil, fmt.Errorf("redis url: %w", err)
		}
		if opt.MasterName == "" {
			return nil, fmt.Errorf("redis url: a sentinel url needs master_name=… (the name the Sentinels monitor)")
		}
		tune(u, &opt.DialTimeout, &opt.ReadTimeout, &opt.WriteTimeout, &opt.DialerRetries, &opt.DialerRetryTimeout, &opt.ContextTimeoutEnabled)
		return goredis.NewFailoverClient(opt), nil
	case kindCluster:
		opt, err := goredis.ParseClusterURL(u)
		if err != nil {
			return nil, fmt.Errorf("redis url: %w", err)
		}
		tune(u, &opt.DialTimeout, &opt.ReadTimeout, &opt.WriteTimeout, &opt.DialerRetries, &opt.DialerRetryTimeout, &opt.ContextTimeoutEnabled)
		return goredis.NewClusterClient(opt), nil
	}
	opt, err := goredis.ParseURL(u)
	if err != nil {
		return nil, fmt.Errorf("redis url: %w", err)
	}
	tune(u, &opt.DialTimeout, &opt.ReadTimeout, &opt.WriteTimeout, &opt.DialerRetries, &opt.DialerRetryTimeout, &opt.ContextTimeoutEnabled)
	return goredis.NewClient(opt), nil
}

// tune sets the short timeouts Open describes on whichever kind of options, where the URL
// sets none, and makes the client honour the caller's deadline.
func tune(u string, dial, read, write *time.Duration, retries *int, retryWait *time.Duration, ctxTimeout *bool) {
	if !strings.Contains(u, "dial_timeout=") {
		*dial = 2 * time.Second
	}
	if !strings.Contains(u, "read_timeout=") {
		*read = 3 * time.Second
	}
	if !strings.Contains(u, "write_timeout=") {
		*write = 3 * time.Second
	}
	*retries, *retryWait, *ctxTimeout = 2, 50*time.Millisecond, true
}
