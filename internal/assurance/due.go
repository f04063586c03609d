package assurance

import (
	"context"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
)

// Due is what the caller must act on in security assurance, as counts for
// the dashboard, each over the records the caller may see.
type Due struct {
	// Applies: the caller takes part in assurance (the SSC, the User CIO,
	// or an organisation that is assessed).
	Applies bool `json:"applies"`
	// ResponsesDue is assessments whose report awaits the assessed party's
	// response (state response_due).
	ResponsesDue int `json:"responses_due"`
	// RemediationOverdue is remediation plans overdue or past their agreed
	// next update.
	RemediationOverdue int `json:"remediation_overdue"`
}

// Due counts what the caller must act on: two aggregates over the
// assessments and remediation plans it may see.
func (s *Service) Due(ctx context.Context, c access.Caller, now time.Time) (Due, error) {
	out := Due{Applies: c.System || c.IsSSC() || c.Has(sec.RoleUserCIO) || c.HasAny(sec.RoleSupplier, sec.RoleDCC, sec.RoleTriage,
		sec.RoleNetworkParty, sec.RoleOtherUser)}
	if !out.Applies {
		return out, nil
	}
	var args access.Args
	if err := s.DB.QueryRowContext(ctx, "SELECT COUNT(*)"+assessmentFrom+" WHERE a.state = "+args.Add(string(sec.AssessmentResponseDue))+
		" AND "+visible(c, &args), args...).Scan(&out.ResponsesDue); err != nil {
		return out, errs.Wrap(err, "assessments due")
	}
	args = access.Args{}
	today := s.today(now)
	if err := s.DB.QueryRowContext(ctx, "SELECT COUNT(*)"+planFrom+" WHERE "+planOverdue(&args, today)+" AND "+planVisible(c, &args), args...).
		Scan(&out.RemediationOverdue); err != nil {
		return out, errs.Wrap(err, "remediation plans due")
	}
	return out, nil
}
