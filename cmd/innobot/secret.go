package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"innobot/config"
	"innobot/invite"
)

// envSecretKey names the environment variable that gives the invite key; it wins over the
// config, so that the key can stay out of a config file others may read.
const envSecretKey = "INNOBOT_SECRET_KEY"

// keyPath is the key file of a bolt deployment.
func (st settings) keyPath() string { return filepath.Join(st.dir, invite.KeyFile) }

// inviteKey returns the key invite codes are hashed with: from the environment, else the
// config, else (bolt only) the data dir's key file, made on first start. Redis deployments
// must give it: each bot making its own key would refuse the codes the others issued.
func (st settings) inviteKey(log *slog.Logger) (invite.Key, error) {
	from, hexKey := envSecretKey, os.Getenv(envSecretKey)
	if hexKey == "" {
		from, hexKey = "invite.secret_key", st.cfg.Invite.SecretKey
	}
	if hexKey != "" {
		k, err := invite.ParseKey(hexKey)
		if err != nil {
			return invite.Key{}, fmt.Errorf("%s: %w", from, err)
		}
		return k, nil
	}
	if st.cfg.Storage.Driver == config.DriverRedis {
		return invite.Key{}, fmt.Errorf("Redis 存储需要邀请码密钥：在环境变量 %s 或配置 invite.secret_key 中给出（连同一个 Redis 的机器人用同一个密钥；innobot keygen 可生成）", envSecretKey)
	}
	if err := os.MkdirAll(st.dir, 0o750); err != nil {
		return invite.Key{}, fmt.Errorf("data dir: %w", err)
	}
	k, created, err := invite.LoadKeyFile(st.keyPath())
	if err != nil {
		return invite.Key{}, err
	}
	if created {
		log.Warn("created the invite key: copy it with every backup and migration of the data, or unused codes stop working", "file", st.keyPath())
	}
	return k, nil
}

// keyAdvice is what backup and migrate print: the key is not in the data they copy.
func (st settings) keyAdvice() string {
	if st.cfg.Storage.Driver == config.DriverRedis || os.Getenv(envSecretKey) != "" || st.cfg.Invite.SecretKey != "" {
		return fmt.Sprintf("注意：邀请码密钥不在数据里（环境变量 %s 或配置 invite.secret_key），恢复或迁移时须一并带上，否则未使用的邀请码全部失效。", envSecretKey)
	}
	return fmt.Sprintf("注意：邀请码密钥 %s 不在数据文件里，须与数据一起复制（权限 600）；没有它，未使用的邀请码全部失效。", st.keyPath())
}

// migrateKeyAdvice is what migrate prints: where the source's key is and where the
// destination needs it, since a migration copies the records only.
func migrateKeyAdvice(src, dst endpoint) string {
	from := fmt.Sprintf("源的密钥在环境变量 %s 或配置 invite.secret_key", envSecretKey)
	if src.kind == "bolt" {
		from = fmt.Sprintf("源的密钥是 %s（或环境变量 %s、配置 invite.secret_key，若曾设置）", filepath.Join(filepath.Dir(src.path), invite.KeyFile), envSecretKey)
	}
	to := fmt.Sprintf("目标的每个机器人都要在环境变量 %s 或配置 invite.secret_key 中给出同一个密钥（密钥文件的内容）", envSecretKey)
	if dst.kind == "bolt" {
		to = fmt.Sprintf("把它复制为 %s（权限 600）", filepath.Join(filepath.Dir(dst.path), invite.KeyFile))
	}
	return "注意：邀请码密钥不在迁移的数据里，须一起带走，否则未使用的邀请码全部失效。" + from + "；" + to + "。"
}

// runKeygen is `innobot keygen`: a new invite key, for the config or the environment of a
// Redis deployment.
func runKeygen(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("keygen", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	k, err := invite.NewKey()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, k.Hex())
	return err
}
