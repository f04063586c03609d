package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/account"
)

func (s *Server) oidcRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/signin/oidc", Name: "signinOIDC", Summary: "Sign in with the configured OpenID Connect provider: redirects there.",
			Tag: "ui", Access: Public, Handle: s.signinOIDC},
		{Method: "GET", Path: "/signin/oidc/callback", Name: "signinOIDCCallback", Summary: "Where the OpenID Connect provider sends the browser back.",
			Tag: "ui", Access: Public, Handle: s.signinOIDCCallback},
		{Method: "GET", Path: "/api/v1/users/{email}/identities", Name: "listIdentities", Summary: "The single sign-on identities linked to an account (administrators; anyone else sees only their own).",
			Tag: "accounts", API: true, Response: listOf([]account.Identity{}), Handle: s.apiListIdentities},
		{Method: "POST", Path: "/api/v1/users/{email}/identities", Name: "linkIdentity", Summary: "Link an identity at the single sign-on provider (its issuer and subject) to an account (administrators).",
			Tag: "accounts", API: true, Request: identityIn{}, Response: account.Identity{}, Status: http.StatusCreated, Handle: s.apiLinkIdentity},
		{Method: "POST", Path: "/api/v1/users/{email}/identities/unlink", Name: "unlinkIdentity", Summary: "Remove a single sign-on identity from an account (administrators).",
			Tag: "accounts", API: true, Request: identityIn{}, Status: http.StatusNoContent, Handle: s.apiUnlinkIdentity},
	}
}
