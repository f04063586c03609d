package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/listing"
)

func (s *Server) accountRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/me", Name: "me", Summary: "The caller's own account.", Tag: "accounts", API: true,
			Response: account.User{}, Handle: s.apiMe},
		{Method: "GET", Path: "/api/v1/tokens", Name: "listTokens", Summary: "API tokens: the caller's own, or every one for administrators. Paged, sorted, filtered, exportable.",
			Tag: "accounts", API: true, Scope: account.ScopeTokens, Params: listParams(account.TokenSpec),
			Response: listing.Page[account.Token]{}, Handle: s.apiListTokens},
		{Method: "POST", Path: "/api/v1/tokens", Name: "createToken", Summary: "Create an API token for yourself (never for anyone else); its secret is in this response only. " +
			"Needs a session whose second factor is recent (or a current code in \"code\"), or a token with the \"tokens\" scope; the new token has no scope or expiry beyond its creator's.",
			Tag: "accounts", API: true, Scope: account.ScopeTokens, Request: account.NewToken{}, Response: createdToken{}, Status: http.StatusCreated, Handle: s.apiCreateToken},
		{Method: "DELETE", Path: "/api/v1/tokens/{id}", Name: "revokeToken", Summary: "Revoke an API token.", Tag: "accounts",
			API: true, Scope: account.ScopeTokens, Status: http.StatusNoContent, Handle: s.apiRevokeToken},

		{Method: "GET", Path: "/account", Name: "accountPage", Summary: "Your account.", Tag: "ui", Handle: s.accountPage},
		{Method: "POST", Path: "/account/password", Name: "changePassword", Summary: "Change your password.", Tag: "ui", Handle: s.changePassword},
		{Method: "POST", Path: "/account/tokens", Name: "createTokenForm", Summary: "Create an API token.", Tag: "ui", Handle: s.createTokenForm},
		{Method: "POST", Path: "/account/tokens/{id}/revoke", Name: "revokeTokenForm", Summary: "Revoke an API token.", Tag: "ui", Handle: s.revokeTokenForm},
	}
}
