package web

import (
	"net/http"
	"time"
)

func newOIDCClient(cfg *OIDCConfig, now func() time.Time) *oidcClient {
	if cfg == nil || cfg.Issuer == "" {
		return nil
	}
	c := &oidcClient{cfg: *cfg, now: now}
	if c.cfg.Name == "" {
		c.cfg.Name = "single sign-on"
	}
	if c.cfg.HTTPClient == nil {
		c.cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	return c
}

// identityIn names an identity at an OpenID Connect provider.
type identityIn struct {
	Issuer  string `json:"issuer"`
	Subject string `json:"subject"`
}
