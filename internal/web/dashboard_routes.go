package web

func (s *Server) dashboardRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/{$}", Name: "home", Summary: "Start page: for a signed-in user, what the organisation must act on.", Tag: "ui", Access: Public, Handle: s.homePage},
		{Method: "GET", Path: "/api/v1/dashboard", Name: "dashboard", Summary: "What the caller's organisation must act on: the home page's counts, each with the filtered list it links to. Only the counts that fit the caller's roles are present; each is over what the caller may see.",
			Tag: "dashboard", API: true, Response: Dashboard{}, Handle: s.apiDashboard},
	}
}
