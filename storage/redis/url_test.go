package redis

import (
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// TestDialURLs checks each kind of URL makes the client of its kind, with what the URL says
// and the short timeouts it does not say, and that a wrong URL is refused before any dialling.
func TestDialURLs(t *testing.T) {
	tests := []struct {
		url  string
		want func(t *testing.T, c goredis.UniversalClient)
	}{
		{"redis://:pw@127.0.0.1:6380/2", func(t *testing.T, c goredis.UniversalClient) {
			o := c.(*goredis.Client).Options()
			if o.Addr != "127.0.0.1:6380" || o.DB != 2 || o.Password != "pw" || o.TLSConfig != nil {
				t.Errorf("got addr %s db %d password %q tls %v", o.Addr, o.DB, o.Password, o.TLSConfig != nil)
			}
			if o.DialTimeout != 2*time.Second || o.ReadTimeout != 3*time.Second || !o.ContextTimeoutEnabled || o.DialerRetries != 2 {
				t.Errorf("got dial %s read %s ctx %v retries %d", o.DialTimeout, o.ReadTimeout, o.ContextTimeoutEnabled, o.DialerRetries)
			}
		}},
		{"rediss://h:6380/0?read_timeout=7s", func(t *testing.T, c goredis.UniversalClient) {
			o := c.(*goredis.Client).Options()
			if o.TLSConfig == nil || o.ReadTimeout != 7*time.Second || o.WriteTimeout != 3*time.Second {
				t.Errorf("got tls %v read %s write %s", o.TLSConfig != nil, o.ReadTimeout, o.WriteTimeout)
			}
		}},
		{"redis+sentinel://:spw@s1:26379/3?master_name=mymaster&addr=s2:26379&password=pw", func(t *testing.T, c goredis.UniversalClient) {
			// A failover client is a *Client whose dialler asks the Sentinels.
			o := c.(*goredis.Client).Options()
			if o.DB != 3 || o.Password != "pw" || o.ReadTimeout != 3*time.Second || !o.ContextTimeoutEnabled {
				t.Errorf("got db %d password %q read %s ctx %v", o.DB, o.Password, o.ReadTimeout, o.ContextTimeoutEnabled)
			}
			if o.Addr != "FailoverClient" {
				t.Errorf("not a failover client: addr %s", o.Addr)
			}
		}},
		{"REDIS+CLUSTER://:pw@n1:7000?addr=n2:7001&dial_timeout=1s", func(t *testing.T, c goredis.UniversalClient) {
			o := c.(*goredis.ClusterClient).Options()
			if strings.Join(o.Addrs, ",") != "n1:7000,n2:7001" || o.Password != "pw" || o.DialTimeout != time.Second || o.ReadTimeout != 3*time.Second {
				t.Errorf("got addrs %v password %q dial %s read %s", o.Addrs, o.Password, o.DialTimeout, o.ReadTimeout)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			c, err := dial(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			tt.want(t, c)
		})
	}
	for _, bad := range []string{
		"http://h:6379", "redis+sentinal://s1:26379?master_name=m", "redis+sentinel://s1:26379/0",
		"redis+cluster://n1:7000?nonsense=1", "redis://h:6379/x", "127.0.0.1:6379",
	} {
		if c, err := dial(bad); err == nil {
			c.Close()
			t.Errorf("%s: want an error", bad)
		}
	}
}
