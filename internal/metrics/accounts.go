package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"qwenproxy/internal/accounts"
)

// ObserveAccounts exposes each Qwen account's state, read when scraped:
// whether it is usable, its state (one of accounts.States), when its
// cooldown and token end, its calls and its failures by class (one of
// accounts.Classes). The account label takes only configured accounts.
func (m *Metrics) ObserveAccounts(snapshot func() []accounts.Status) {
	m.reg.MustRegister(&accountCollector{snapshot: snapshot})
}

var (
	accountUp       = prometheus.NewDesc("qwenproxy_account_usable", "1 when the Qwen account can take calls now.", []string{"account"}, nil)
	accountState    = prometheus.NewDesc("qwenproxy_account_state", "1 for the Qwen account's current state.", []string{"account", "state"}, nil)
	accountCooldown = prometheus.NewDesc("qwenproxy_account_cooldown_until_seconds", "Unix time the account's cooldown ends (0: none).", []string{"account"}, nil)
	accountToken    = prometheus.NewDesc("qwenproxy_account_token_expires_seconds", "Unix time the account's login token expires (0: unknown).", []string{"account"}, nil)
	accountCalls    = prometheus.NewDesc("qwenproxy_account_calls_total", "Calls made as the account by this instance.", []string{"account"}, nil)
	accountFailures = prometheus.NewDesc("qwenproxy_account_failures_total", "The account's failures by class, in this instance.", []string{"account", "class"}, nil)
)

type accountCollector struct{ snapshot func() []accounts.Status }

func (c *accountCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{accountUp, accountState, accountCooldown, accountToken, accountCalls, accountFailures} {
		ch <- d
	}
}

func (c *accountCollector) Collect(ch chan<- prometheus.Metric) {
	for _, st := range c.snapshot() {
		up := 0.0
		if st.Usable {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(accountUp, prometheus.GaugeValue, up, st.ID)
		for _, s := range accounts.States {
			v := 0.0
			if s == st.State {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(accountState, prometheus.GaugeValue, v, st.ID, s)
		}
		cooldown, token := 0.0, 0.0
		if st.CooldownUntil != nil {
			cooldown = float64(st.CooldownUntil.Unix())
		}
		if st.TokenExpiresAt != nil {
			token = float64(st.TokenExpiresAt.Unix())
		}
		ch <- prometheus.MustNewConstMetric(accountCooldown, prometheus.GaugeValue, cooldown, st.ID)
		ch <- prometheus.MustNewConstMetric(accountToken, prometheus.GaugeValue, token, st.ID)
		ch <- prometheus.MustNewConstMetric(accountCalls, prometheus.CounterValue, float64(st.Calls), st.ID)
		for _, class := range accounts.Classes {
			ch <- prometheus.MustNewConstMetric(accountFailures, prometheus.CounterValue, float64(st.Failures[string(class)]), st.ID, string(class))
		}
	}
}
