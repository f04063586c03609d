package vuln

import (
	"time"

	"github.com/metersec/metersec/internal/advisory"
	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/sec"
)

// Record kinds in the audience tables and the audit trail.
const (
	Kind          = "vuln"           // a vulnerability
	RecipientKind = "vuln_recipient" // one organisation told of a vulnerability
	PlanKind      = "vuln_plan"      // a rectification plan
)

// modelKind is the catalogue's record kind for Device Models, for the
// visibility of the models a report names.
const modelKind = catalogue.KindModel

// Vulnerability is a vulnerability as the caller may see it.
type Vulnerability struct {
	ID          int64  `json:"id"`
	Ref         string `json:"ref"` // MSV-2026-0001
	Title       string `json:"title"`
	Description string `json:"description"`
	Mitigation  string `json:"mitigation,omitempty"`

	// Reporter is the reporting organisation: its code always (the caller
	// sees the record, and the reference is the record's), its name only
	// when the caller may see the organisation's directory entry.
	Reporter     OrgRef `json:"reporter"`
	Manufacturer OrgRef `json:"manufacturer"`

	State sec.VulnState `json:"state"`
	// Material is nil until judged.
	Material             *bool  `json:"material"`
	MaterialityRationale string `json:"materiality_rationale,omitempty"`

	CVSS *advisory.CVSS `json:"cvss,omitempty"`
	CVEs []string       `json:"cves"`

	Classification sec.Classification `json:"classification"`
	DiscoveredOn   sec.Date           `json:"discovered_on,omitzero"`
	ReportedOn     sec.Date           `json:"reported_on"`
	Source         string             `json:"source,omitempty"` // e.g. "csaf:ARDENT-SA-2026-07"
	Revision       int                `json:"revision"`
	Overdue        bool               `json:"overdue"` // open, with an overdue plan the caller may see
	CreatedAt      time.Time          `json:"created_at"`
	UpdatedAt      time.Time          `json:"updated_at"`

	Affected []Affected `json:"affected"`
	// Import is what a CSAF import could not map, kept for someone to finish.
	Import *ImportReport `json:"import,omitempty"`

	// What the caller may do, for the UI and API clients.
	Actors []sec.Actor     `json:"actors"`
	Events []sec.VulnEvent `json:"events"`
}

// OrgRef names an organisation. Name is empty when the caller may not see the
// organisation's directory entry.
type OrgRef struct {
	Code string `json:"code"`
	Name string `json:"name,omitempty"`
}

// Label is the name when known, else the code.
func (o OrgRef) Label() string {
	if o.Name != "" {
		return o.Name
	}
	return o.Code
}

// Affected is one affected firmware range of a model, with the catalogue's
// firmware it selects.
type Affected struct {
	Model        ModelRef `json:"model"`
	Introduced   string   `json:"introduced,omitempty"`
	Fixed        string   `json:"fixed,omitempty"`
	LastAffected string   `json:"last_affected,omitempty"`
	Range        string   `json:"range"`    // ">=1.2 <1.4"
	Firmware     []string `json:"firmware"` // the catalogue's affected versions, in version order
}

// ModelRef names a Device Model.
type ModelRef struct {
	ID         int64          `json:"id"`
	Code       string         `json:"code"`
	Name       string         `json:"name,omitempty"`
	DeviceType sec.DeviceType `json:"device_type"`
	Generation sec.Generation `json:"generation"`
}

// ImportReport is what a CSAF import left undone.
type ImportReport struct {
	TrackingID string              `json:"tracking_id"`
	Publisher  string              `json:"publisher"`
	Unmapped   []advisory.Unmapped `json:"unmapped"`
	Warnings   []string            `json:"warnings"`
}

// Role is why an organisation is told of a vulnerability.
type Role string

// Recipient roles.
const (
	RoleManufacturer Role = "manufacturer" // makes the affected models (told when someone else reports)
	RoleSupplier     Role = "supplier"     // operates affected Devices (its notice says which it carries G3.17/G3.20 for)
	RoleMAP          Role = "map"          // owns affected Devices: for information
	RoleDCC          Role = "dcc"          // SMETS2+ Communications Hub and Gas Proxy Functions
	RoleSSC          Role = "ssc"          // material vulnerabilities (G3.18, G3.9)
)

var roleLabels = map[Role]string{
	RoleManufacturer: "Manufacturer",
	RoleSupplier:     "Supplier",
	RoleMAP:          "MAP (for information)",
	RoleDCC:          "DCC",
	RoleSSC:          "SSC",
}

// Label is the human name of the role.
func (r Role) Label() string { return roleLabels[r] }

// acks reports whether recipients in the role are asked to acknowledge:
// those who must act. MAPs are told for information and the SSC oversees.
func (r Role) acks() bool { return r == RoleSupplier || r == RoleDCC || r == RoleManufacturer }

// Statement is what a recipient says of the vulnerability when it
// acknowledges (the CSAF/VEX vocabulary).
type Statement string

// Statements.
const (
	StatementAffected           Statement = "affected"
	StatementNotAffected        Statement = "not_affected" // needs a justification
	StatementUnderInvestigation Statement = "under_investigation"
)

// Statements lists the statements in display order.
var Statements = []Statement{StatementAffected, StatementNotAffected, StatementUnderInvestigation}

var statementLabels = map[Statement]string{
	StatementAffected:           "Affected",
	StatementNotAffected:        "Not affected",
	StatementUnderInvestigation: "Under investigation",
}

// Label is the human name of the statement.
func (s Statement) Label() string { return statementLabels[s] }

// Recipient is one organisation told of a vulnerability, as the caller may
// see it.
type Recipient struct {
	ID             int64              `json:"id"`
	Org            OrgRef             `json:"org"`
	Role           Role               `json:"role"`
	Classification sec.Classification `json:"classification"`
	// Devices is the affected Devices this organisation answers for.
	Devices        int64      `json:"devices"`
	Active         bool       `json:"active"`
	AddedAt        time.Time  `json:"added_at"`
	InactiveSince  *time.Time `json:"inactive_since,omitempty"`
	NotifiedAt     *time.Time `json:"notified_at,omitempty"` // first notice
	LastNotifiedAt *time.Time `json:"last_notified_at,omitempty"`
	Notices        int        `json:"notices"`
	DeliveredAt    *time.Time `json:"delivered_at,omitempty"` // first delivery of a notice by email or webhook
	// Delivery sums up the email and webhook jobs of its notices:
	// delivered, pending, retrying, failed, or in-app only.
	Delivery       string     `json:"delivery,omitempty"`
	SeenAt         *time.Time `json:"seen_at,omitempty"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	AcknowledgedBy string     `json:"acknowledged_by,omitempty"` // shown to the recipient itself and the SSC
	Statement      Statement  `json:"statement,omitempty"`
	Justification  string     `json:"justification,omitempty"`
	Reminders      int        `json:"reminders"`
	LastRemindedAt *time.Time `json:"last_reminded_at,omitempty"`
	AwaitsAck      bool       `json:"awaits_acknowledgement"`
}

// AffectedDevices is how many affected Devices the recipients answer for as
// Suppliers still operating them: the count a vulnerability's page shows.
func AffectedDevices(rs []Recipient) int64 {
	var n int64
	for _, r := range rs {
		if r.Role == RoleSupplier && r.Active {
			n += r.Devices
		}
	}
	return n
}

// Event is one entry of a vulnerability's timeline.
type Event struct {
	ID        int64         `json:"id"`
	At        time.Time     `json:"at"`
	Kind      string        `json:"kind"` // reported, transition, updated, notified, reminded, seen, acknowledged, plan, fanout
	Event     string        `json:"event,omitempty"`
	From      sec.VulnState `json:"from,omitempty"`
	To        sec.VulnState `json:"to,omitempty"`
	Note      string        `json:"note,omitempty"`
	Actor     string        `json:"actor"` // who, as far as the caller may know
	Recipient string        `json:"recipient,omitempty"`
}

// Plan is a rectification plan as the caller may see it.
type Plan struct {
	ID                 int64              `json:"id"`
	VulnRef            string             `json:"vuln_ref"`
	Owner              OrgRef             `json:"owner"`
	State              sec.PlanState      `json:"state"`
	Classification     sec.Classification `json:"classification"`
	Steps              string             `json:"steps"`
	DeclaredCompletion sec.Date           `json:"declared_completion,omitzero"`
	NextUpdateDue      sec.Date           `json:"next_update_due,omitzero"`
	SSCNote            string             `json:"ssc_note,omitempty"`
	Revision           int                `json:"revision"`
	SubmittedAt        *time.Time         `json:"submitted_at,omitempty"`
	CompletedAt        *time.Time         `json:"completed_at,omitempty"`
	OverdueSince       *time.Time         `json:"overdue_since,omitempty"`
	Escalations        int                `json:"escalations"`
	Overdue            bool               `json:"overdue"`
	Revisions          []PlanRevision     `json:"revisions"`
	Events             []sec.PlanEvent    `json:"events"` // what the caller may do now

	ownerID   int64
	updatedAt time.Time
}

// PlanRevision is one change to a plan.
type PlanRevision struct {
	At                 time.Time     `json:"at"`
	Event              sec.PlanEvent `json:"event"`
	State              sec.PlanState `json:"state"`
	Revision           int           `json:"revision"`
	Steps              string        `json:"steps,omitempty"`
	DeclaredCompletion sec.Date      `json:"declared_completion,omitzero"`
	NextUpdateDue      sec.Date      `json:"next_update_due,omitzero"`
	Reason             string        `json:"reason,omitempty"`
	Actor              string        `json:"actor"`
}
