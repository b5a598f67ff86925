package config

import ("testing"; "fmt")

func TestTry(t *testing.T) {
	for _, s := range []string{
		"bot: &b {prefix: \"!\"}\ndeadlines:\n  - <<: *b\n    id: a\n",
		"bot: &b {prefix: \"!\"}\ndeadlines:\n  - *b\n",
		"deadlines:\n  - &b {id: a, name: n, cron: \"0 0 5 * *\", lead: [1d], at: \"09:00\", audiences: [groups]}\n  - <<: [*b]\n    id: b\n",
		"regions: &r [a, &s [x]]\n",
		"\ufeffbot: {name: x}\n",
	} {
		c, err := Parse("config.yaml", []byte(s))
		fmt.Printf("%q\n  => %v\n", s, err)
		if err == nil { fmt.Printf("  %+v %v\n", c.Deadlines, c.Bot) }
	}
}
