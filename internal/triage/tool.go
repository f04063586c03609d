package triage

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// ToolCategory is what a tool is. MP203 protects both the Triage Tool (the hand-held or
// bench device that diagnoses and resets) and the Triage Interface (what
// connects it to the Device) against misuse.
type ToolCategory string

// The categories of tool.
const (
	CategoryTool      ToolCategory = "tool"
	CategoryInterface ToolCategory = "interface"
)

// Tool is a Triage Tool or Triage Interface of a facility, with the
// operators allowed to use it.
type Tool struct {
	ID         int64        `json:"id"`
	FacilityID int64        `json:"facility_id"`
	Category   ToolCategory `json:"category"`
	Serial     string       `json:"serial"`
	Kind       string       `json:"kind"`
	Firmware   string       `json:"firmware,omitempty"`
	Operators  []string     `json:"operators"`
	Uses       int64        `json:"uses"`
	CreatedAt  time.Time    `json:"created_at"`
}

// ToolInput registers a tool or interface.
type ToolInput struct {
	Category  ToolCategory `json:"category"`
	Serial    string       `json:"serial"`
	Kind      string       `json:"kind"`
	Firmware  string       `json:"firmware,omitempty"`
	Operators []string     `json:"operators,omitempty"`
}

func itoa(i int) string { return strconv.Itoa(i) }

// MayManage reports whether the caller may register tools and operators at
// the facility: its provider's own users, and the system. The facility page
// asks it whether to offer the forms.
func MayManage(c access.Caller, f Facility) bool { return c.System || isProvider(c, f.providerID) }

// Tools lists a facility's tools and interfaces with their operators and
// how often each was used, if the caller may see the facility.
func (s *Service) Tools(ctx context.Context, c access.Caller, facilityID int64) ([]Tool, error) {
	var out []Tool
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		f, err := findFacility(ctx, tx, c, facilityID)
		if err != nil {
			return err
		}
		out, err = tools(ctx, tx, f.ID)
		return err
	})
	return out, err
}

func tools(ctx context.Context, q store.Querier, facilityID int64) ([]Tool, error) {
	rows, err := q.QueryContext(ctx, `SELECT t.id, t.facility_id, t.category, t.serial, t.kind, t.firmware, t.created_at,
		(SELECT COUNT(*) FROM triage_entries e WHERE e.facility_id = t.facility_id AND (e.tool_id = t.id OR e.interface_id = t.id))
		FROM triage_tools t WHERE t.facility_id = $1 ORDER BY t.category DESC, t.serial`, facilityID)
	if err != nil {
		return nil, errs.Wrap(err, "list triage tools")
	}
	defer rows.Close()
	out := []Tool{}
	at := map[int64]int{}
	for rows.Next() {
		var t Tool
		if err := rows.Scan(&t.ID, &t.FacilityID, &t.Category, &t.Serial, &t.Kind, &t.Firmware, &t.CreatedAt, &t.Uses); err != nil {
			return nil, errs.Wrap(err, "list triage tools")
		}
		t.CreatedAt = t.CreatedAt.UTC()
		t.Operators = []string{}
		at[t.ID] = len(out)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(err, "list triage tools")
	}
	rows.Close()
	ops, err := q.QueryContext(ctx, `SELECT o.tool_id, u.email FROM triage_tool_operators o JOIN triage_tools t ON t.id = o.tool_id
		JOIN users u ON u.id = o.user_id WHERE t.facility_id = $1 ORDER BY u.email`, facilityID)
	if err != nil {
		return nil, errs.Wrap(err, "list triage operators")
	}
	defer ops.Close()
	for ops.Next() {
		var id int64
		var email string
		if err := ops.Scan(&id, &email); err != nil {
			return nil, errs.Wrap(err, "list triage operators")
		}
		out[at[id]].Operators = append(out[at[id]].Operators, email)
	}
	return out, errs.Wrap(ops.Err(), "list triage operators")
}

// RegisterTool registers a Triage Tool or Interface at a facility with the
// operators allowed on it.
func (s *Service) RegisterTool(ctx context.Context, c access.Caller, facilityID int64, in ToolInput) (Tool, error) {
	var fields []errs.Field
	cat := ToolCategory(strings.ToLower(strings.TrimSpace(string(in.Category))))
	if cat != CategoryTool && cat != CategoryInterface {
		fields = append(fields, errs.Field{Field: "category", Message: "want tool or interface"})
	}
	serial, fe := cleanText("serial", in.Serial, 64, true)
	if fe != nil {
		fields = append(fields, *fe)
	}
	kind, fe := cleanText("kind", in.Kind, 200, true)
	if fe != nil {
		fields = append(fields, *fe)
	}
	fw, fe := cleanText("firmware", in.Firmware, 64, false)
	if fe != nil {
		fields = append(fields, *fe)
	}
	if len(fields) > 0 {
		return Tool{}, errs.Fields("the tool is not valid", fields...)
	}
	var out Tool
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		f, err := findFacility(ctx, tx, c, facilityID)
		if err != nil {
			return err
		}
		if !MayManage(c, f) {
			return errs.E(errs.Forbidden, "only the facility's provider registers its Triage Tools and Interfaces")
		}
		var id int64
		err = tx.QueryRowContext(ctx, `INSERT INTO triage_tools (facility_id, category, serial, kind, firmware, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, f.ID, cat, serial, kind, fw, tx.Now).Scan(&id)
		if store.IsUniqueViolation(err) {
			return errs.FieldError("serial", "%q is already registered at this facility", serial)
		}
		if err != nil {
			return errs.Wrap(err, "register triage tool")
		}
		if err := audit.Record(ctx, tx, "triage_tool.register", KindTool, id,
			map[string]any{"facility": f.ID, "category": cat, "serial": serial, "kind": kind, "firmware": fw}); err != nil {
			return err
		}
		for _, email := range in.Operators {
			if err := grant(ctx, tx, f, id, serial, email); err != nil {
				return err
			}
		}
		ts, err := tools(ctx, tx, f.ID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(ts, func(t Tool) bool { return t.ID == id })
		out = ts[i]
		return nil
	})
	return out, err
}

// GrantOperator allows a user of the provider to use a tool or interface.
func (s *Service) GrantOperator(ctx context.Context, c access.Caller, toolID int64, email string) (Tool, error) {
	var out Tool
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		var facilityID int64
		var serial string
		err := tx.QueryRowContext(ctx, "SELECT facility_id, serial FROM triage_tools WHERE id = $1", toolID).Scan(&facilityID, &serial)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.NotFoundf("triage tool", toolID)
		}
		if err != nil {
			return errs.Wrap(err, "read triage tool")
		}
		f, err := findFacility(ctx, tx, c, facilityID)
		if err != nil {
			return errs.NotFoundf("triage tool", toolID)
		}
		if !MayManage(c, f) {
			return errs.E(errs.Forbidden, "only the facility's provider grants the use of its Triage Tools and Interfaces")
		}
		if err := grant(ctx, tx, f, toolID, serial, email); err != nil {
			return err
		}
		ts, err := tools(ctx, tx, f.ID)
		if err != nil {
			return err
		}
		out = ts[slices.IndexFunc(ts, func(t Tool) bool { return t.ID == toolID })]
		return nil
	})
	return out, err
}

// grant allows the user with the email on the tool: a Triage Facility
// Provider user of the facility's provider, and no one else.
func grant(ctx context.Context, tx *store.Tx, f Facility, toolID int64, serial, email string) error {
	u, err := account.FindUser(ctx, tx, email)
	if errs.Is(err, errs.NotFound) || (err == nil && (u.OrgID != f.providerID || !slices.Contains(u.Roles, sec.RoleTriage) || u.Disabled)) {
		return errs.FieldError("operators", "%q is not a Triage Facility Provider user of %s: operators are the provider's own people", strings.TrimSpace(email), f.Provider)
	}
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO triage_tool_operators (tool_id, user_id, granted_at) VALUES ($1, $2, $3)
		ON CONFLICT (tool_id, user_id) DO NOTHING`, toolID, u.ID, tx.Now); err != nil {
		return errs.Wrap(err, "grant triage tool")
	}
	return audit.Record(ctx, tx, "triage_tool.grant", KindTool, toolID, map[string]any{"serial": serial, "operator": u.Email})
}

// toolRef is a tool resolved for a Triage Activity.
type toolRef struct {
	id      int64
	serial  string
	allowed bool
}

// resolveTool finds the facility's tool or interface with the serial and
// whether the operator is allowed on it.
func resolveTool(ctx context.Context, q store.Querier, facilityID int64, cat ToolCategory, serial string, operator int64) (toolRef, error) {
	category := string(cat)
	t := toolRef{serial: strings.TrimSpace(serial)}
	if t.serial == "" {
		return t, errs.FieldError(category, "is required: the serial of the Triage %s used", strings.ToUpper(category[:1])+category[1:])
	}
	err := q.QueryRowContext(ctx, `SELECT t.id, EXISTS (SELECT 1 FROM triage_tool_operators o WHERE o.tool_id = t.id AND o.user_id = $4)
		FROM triage_tools t WHERE t.facility_id = $1 AND t.category = $2 AND t.serial = $3 AND t.retired_at IS NULL`,
		facilityID, category, t.serial, operator).Scan(&t.id, &t.allowed)
	if errors.Is(err, sql.ErrNoRows) {
		return t, errs.FieldError(category, "no Triage %s with serial %q is registered at this facility", category, t.serial)
	}
	return t, errs.Wrap(err, "read triage tool")
}
