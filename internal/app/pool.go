package app

import (
	qp "qwenproxy"
	"qwenproxy/internal/accounts"
	"qwenproxy/internal/config"
)

// PoolConfig is the account pool's configuration from cfg, shared by the
// server and the commands that sign accounts in and report what they meet
// (`accounts test`, `doctor`): the state they store is the servers' too, so
// a failure rests an account as long whoever met it. `accounts test`,
// built without QWEN_FAILURE_COOLDOWN, stored a firewall page's cooldown as
// ending when it began. The caller adds what is its own: the stored and
// environment credentials, the logins, the log.
func PoolConfig(cfg *config.Config, store qp.AccountStore) accounts.Config {
	return accounts.Config{Store: store, Sealer: cfg.SecretKey, Upstream: cfg.QwenBaseURL, SignIn: Signer(cfg).SignIn,
		RateLimitCooldown: cfg.RateLimitCooldown, BriefCooldown: cfg.FailureCooldown}
}
