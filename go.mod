module innobot

go 1.26.8

require (
	github.com/goccy/go-yaml v1.19.2
	github.com/robfig/cron/v3 v3.0.1
	go.etcd.io/bbolt v1.4.3
)

require golang.org/x/sys v0.29.0 // indirect
