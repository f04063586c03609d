package web

import (
	"net/http"

	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/listing"
)

// usersRoutes administer accounts (issue 15 points 1 and 7): the list,
// adding one (the user is emailed a link to choose their password),
// disable and enable, roles, a reset of password and second factor,
// sessions and sign-in identities; and the link's page, where the user
// chooses a password.
func (s *Server) usersRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/users", Name: "listUsers", Summary: "Accounts: every account for administrators, else the caller's organisation's. Paged, sorted, filtered, exportable. " +
			"Since issue 15 the answer is the page {items, total, next_cursor}; org still filters by organisation.",
			Tag: "accounts", API: true, Params: listParams(account.UserSpec), Response: listing.Page[account.User]{}, Handle: s.apiListUsers},
		{Method: "POST", Path: "/api/v1/users", Name: "addUser", Summary: "Add an account (administrators). Nobody sends a password: the user is emailed a one-time link, valid for 3 days, to choose their own.",
			Tag: "accounts", API: true, Request: account.NewUser{}, Response: account.User{}, Status: http.StatusCreated, Handle: s.apiAddUser},
		{Method: "POST", Path: "/api/v1/users/{email}/disable", Name: "disableUser", Summary: "Disable an account, ending its sessions and tokens (administrators).",
			Tag: "accounts", API: true, Status: http.StatusNoContent, Handle: s.apiDisableUser},
		{Method: "POST", Path: "/api/v1/users/{email}/enable", Name: "enableUser", Summary: "Enable a disabled account again: it may sign in; sessions and tokens the disable ended stay ended (administrators).",
			Tag: "accounts", API: true, Status: http.StatusNoContent, Handle: s.apiEnableUser},
		{Method: "PUT", Path: "/api/v1/users/{email}/roles", Name: "setUserRoles", Summary: "Replace an account's roles and RED clearance, within what its organisation may hold (administrators).",
			Tag: "accounts", API: true, Request: account.RolesChange{}, Response: account.User{}, Handle: s.apiSetUserRoles},
		{Method: "POST", Path: "/api/v1/users/{email}/reset", Name: "resetUser", Summary: "Reset an account's password and second factor: the old ones stop working, its sessions end, and the user is emailed a one-time link to choose a new password; nobody else learns it (administrators).",
			Tag: "accounts", API: true, Response: account.Reset{}, Handle: s.apiResetUser},
		{Method: "GET", Path: "/api/v1/users/{email}/sessions", Name: "listUserSessions", Summary: "An account's open sessions: when, from where, last seen (the account itself, or administrators).",
			Tag: "accounts", API: true, Response: listOf([]account.SessionInfo{}), Handle: s.apiListUserSessions},
		{Method: "POST", Path: "/api/v1/users/{email}/sessions/end", Name: "endUserSessions", Summary: "Sign an account out everywhere: every session ends (the account itself, or administrators).",
			Tag: "accounts", API: true, Response: endedSessions{}, Handle: s.apiEndUserSessions},

		{Method: "GET", Path: "/users", Name: "usersPage", Summary: "Accounts, and adding one.", Tag: "ui", Handle: s.usersPage},
		{Method: "POST", Path: "/users", Name: "addUserForm", Summary: "Add an account; the user is emailed a link to choose their password.", Tag: "ui", Handle: s.addUserForm},
		{Method: "POST", Path: "/users/{email}/disable", Name: "disableUserForm", Summary: "Disable an account.", Tag: "ui", Handle: s.disableUserForm},
		{Method: "GET", Path: "/users/{email}", Name: "userPage", Summary: "An account: roles, state, sessions, sign-in identities.", Tag: "ui", Handle: s.userPage},
		{Method: "GET", Path: "/users/{email}/disable", Name: "confirmDisableUser", Summary: "Confirm disabling an account.", Tag: "ui", Handle: s.confirmDisableUser},
		{Method: "POST", Path: "/users/{email}/enable", Name: "enableUserForm", Summary: "Enable an account again.", Tag: "ui", Handle: s.enableUserForm},
		{Method: "POST", Path: "/users/{email}/roles", Name: "setUserRolesForm", Summary: "Change an account's roles.", Tag: "ui", Handle: s.setUserRolesForm},
		{Method: "GET", Path: "/users/{email}/reset", Name: "confirmResetUser", Summary: "Confirm resetting an account's password and second factor.", Tag: "ui", Handle: s.confirmResetUser},
		{Method: "POST", Path: "/users/{email}/reset", Name: "resetUserForm", Summary: "Reset an account's password and second factor.", Tag: "ui", Handle: s.resetUserForm},
		{Method: "POST", Path: "/users/{email}/sessions/end", Name: "endUserSessionsForm", Summary: "Sign an account out everywhere.", Tag: "ui", Handle: s.endUserSessionsForm},
		{Method: "POST", Path: "/users/{email}/identities", Name: "linkIdentityForm", Summary: "Link a single sign-on identity to an account.", Tag: "ui", Handle: s.linkIdentityForm},
		{Method: "POST", Path: "/users/{email}/identities/unlink", Name: "unlinkIdentityForm", Summary: "Unlink a single sign-on identity from an account.", Tag: "ui", Handle: s.unlinkIdentityForm},
		{Method: "GET", Path: "/signin/reset", Name: "resetPasswordPage", Summary: "Choose a new password from a reset link.", Tag: "ui", Access: Public, Handle: s.resetPasswordPage},
		{Method: "POST", Path: "/signin/reset", Name: "resetPassword", Summary: "Set the new password from a reset link and sign in.", Tag: "ui", Access: Public, Handle: s.resetPassword},
	}
}

type endedSessions struct {
	Ended int64 `json:"ended"`
}
