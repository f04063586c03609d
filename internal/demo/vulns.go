package demo

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/vuln"
)

// candidate is a model with installed Devices, for a demo vulnerability.
type candidate struct {
	ID           int64
	Code         string
	Manufacturer string
	Type         sec.DeviceType
	Gen          sec.Generation
	Firmware     []string // in version order
	Devices      int64
}

// candidates lists the models that have installed Devices, most first.
func candidates(ctx context.Context, db *store.DB) ([]candidate, error) {
	rows, err := db.QueryContext(ctx, `SELECT m.id, m.code, o.code, m.device_type, m.generation, SUM(p.devices) FROM portfolio p
		JOIN device_models m ON m.id = p.model_id JOIN organisations o ON o.id = m.manufacturer_id
		WHERE p.supplier_id <> 0 GROUP BY m.id, m.code, o.code, m.device_type, m.generation ORDER BY SUM(p.devices) DESC, m.id`)
	if err != nil {
		return nil, errs.Wrap(err, "demo candidates")
	}
	var out []candidate
	for rows.Next() {
		var c candidate
		if err := rows.Scan(&c.ID, &c.Code, &c.Manufacturer, &c.Type, &c.Gen, &c.Devices); err != nil {
			rows.Close()
			return nil, errs.Wrap(err, "demo candidates")
		}
		out = append(out, c)
	}
	rows.Close()
	for i := range out {
		fr, err := db.QueryContext(ctx, "SELECT version FROM firmware_versions WHERE model_id = $1", out[i].ID)
		if err != nil {
			return nil, errs.Wrap(err, "demo candidates")
		}
		var vs []catalogue.FirmwareVersion
		for fr.Next() {
			var s string
			fr.Scan(&s)
			if v, err := catalogue.ParseFirmwareVersion(s); err == nil {
				vs = append(vs, v)
			}
		}
		fr.Close()
		slices.SortFunc(vs, catalogue.Compare)
		for _, v := range vs {
			out[i].Firmware = append(out[i].Firmware, v.String())
		}
	}
	return out, nil
}

// story is one demo vulnerability: who reports it, how it is marked, and how
// far along its lifecycle it goes, days ago.
type story struct {
	Title, Description string
	Reporter           string // a demo user's email; the SSC chair when it cannot
	// Prefer is the kind of Device the story is about, when the estate
	// has one: a type and, optionally, a generation.
	Prefer     sec.DeviceType
	PreferGen  sec.Generation
	Class      sec.Classification
	CVSS       string
	Material   *bool
	Rationale  string
	Mitigation string
	DaysAgo    int
	// Steps after the report: events by days ago. "ack" and "plan" are done
	// by every demo Supplier told; the rest fire lifecycle events.
	Steps []step
}

type step struct {
	DaysAgo int
	Do      string // "ack", "plan", "agree", "complete", or a sec.VulnEvent
	Note    string
}

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

const (
	chair    = "chair@ssc.example.org"
	maker    = "psirt@aurv.example"
	large    = "ops@aldm.example"
	small    = "ops@lrkl.example"
	makerOrg = "AURV"
)

// stories cover every state of the vulnerability lifecycle (sec.VulnLifecycle)
// and every classification.
var stories = []story{
	{Title: "Gas meter valve command accepted without a fresh counter", Prefer: sec.GSME, Description: "A replayed valve-close command is accepted if sent within the same HAN session.",
		Reporter: maker, Class: sec.White, CVSS: "CVSS:3.1/AV:A/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H", Material: yes(),
		Rationale: "Remote disconnection of supply to vulnerable customers.", DaysAgo: 120,
		Steps: []step{{115, "ack", ""}, {114, "plan", ""}, {110, "agree", ""}, {100, "start_remediation", ""}, {70, "rectify", "Firmware 1.3.0 deployed."},
			{68, "complete", ""}, {65, "close", "Rectified across the estate."}}},
	{Title: "Keypad debug port enabled on early builds", Prefer: sec.PPMID, Description: "A debug UART is reachable after removing the case.",
		Reporter: maker, Class: sec.Green, CVSS: "CVSS:3.1/AV:P/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:N", Material: no(),
		Rationale: "Needs physical access and a broken tamper seal; no remote exploitation.", DaysAgo: 90},
	{Title: "Communications Hub accepts a downgraded key agreement", Prefer: sec.CHF, Description: "The hub falls back to a weaker curve when the head end offers it.",
		Reporter: chair, Class: sec.Amber, CVSS: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:N", Material: yes(),
		Rationale: "Affects the confidentiality of every message through the hub.", DaysAgo: 80,
		Steps: []step{{78, "ack", ""}, {76, "plan", ""}, {74, "note", ""}, {70, "start_remediation", ""}, {22, "complete", ""},
			{20, "rectify", "Hub firmware updated over the air."}}},
	{Title: "Meter accepts unsigned tariff tables", Prefer: sec.ESME, PreferGen: sec.SMETS2, Description: "Tariff updates are applied before their signature is checked.",
		Reporter: maker, Class: sec.Amber, CVSS: "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:N/VI:H/VA:L/SC:N/SI:N/SA:N", Material: yes(),
		Rationale: "Billing integrity for prepayment customers.", DaysAgo: 60, Mitigation: "The DCC filters unsigned tariff commands at the head end.",
		Steps: []step{{58, "ack", ""}, {57, "plan", ""}, {55, "agree", ""}, {50, "start_remediation", ""}, {12, "complete", ""},
			{10, "mitigate", "Head-end filtering in place; firmware fix pending."}}},
	{Title: "HAN join replay", Prefer: sec.ESME, PreferGen: sec.SMETS2, Description: "A replayed ZigBee join request lets a device in radio range join the HAN.",
		Reporter: large, Class: sec.Amber, CVSS: "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N", Material: yes(),
		Rationale: "Any device in radio range can join the HAN.", DaysAgo: 45,
		Steps: []step{{44, "ack", ""}, {43, "plan", ""}, {40, "agree", ""}, {30, "start_remediation", ""}}},
	{Title: "Display buffer overflow on long supplier names", Prefer: sec.ESME, Description: "A crafted supplier name crashes the meter display task.",
		Reporter: maker, Class: sec.Amber, CVSS: "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:N/I:N/A:H", Material: yes(),
		Rationale: "A Supplier-side mistake could brick displays fleet-wide.", DaysAgo: 20,
		Steps: []step{{19, "ack", ""}, {18, "plan", ""}}},
	{Title: "SMETS1 meter leaks its network key in a diagnostic frame", Prefer: sec.ESME, PreferGen: sec.SMETS1, Description: "A diagnostic frame carries the network key in clear.",
		Reporter: large, Class: sec.Amber, CVSS: "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:L/A:N", Material: yes(),
		Rationale: "Key disclosure to anyone in radio range.", DaysAgo: 8},
	{Title: "Keypad shows credit from a stale balance", Prefer: sec.PPMID, Description: "After a reboot the keypad shows the balance before the last top-up.",
		Reporter: small, Class: sec.Amber, DaysAgo: 2},
	{Title: "Hub firmware signing key possibly exposed", Prefer: sec.CHF, Description: "A build server holding the signing key was compromised; under investigation.",
		Reporter: chair, Class: sec.Red, CVSS: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H", Material: yes(),
		Rationale: "If confirmed, any firmware could be signed.", DaysAgo: 1},
}

// seedVulnerabilities tells the demo's vulnerability stories on the models
// with the most installed Devices, with a clock set back so the timelines look lived in, then
// runs the periodic work once as of now (reminders, overdue plans).
func seedVulnerabilities(ctx context.Context, db *store.DB, users map[string]access.Caller) error {
	cands, err := candidates(ctx, db)
	if err != nil || len(cands) == 0 {
		return err
	}
	realNow := db.Now
	defer func() { db.Now = realNow }()
	now := realNow()
	svc := vuln.NewService(db, nil)
	at := func(daysAgo int) { t := now.AddDate(0, 0, -daysAgo); db.Now = func() time.Time { return t } }

	for i, st := range stories {
		c := pick(cands, i, st)
		at(st.DaysAgo)
		reporter, ok := users[st.Reporter]
		if !ok || (reporter.Has(sec.RoleManufacturer) && reporter.OrgCode != c.Manufacturer) {
			reporter = users[chair]
		}
		in := vuln.NewVulnerability{Title: st.Title, Description: st.Description, Manufacturer: c.Manufacturer,
			Affected: affectedOf(c), CVSS: st.CVSS, Material: st.Material, MaterialityRationale: st.Rationale,
			Classification: string(st.Class), Mitigation: st.Mitigation, DiscoveredOn: sec.DateOf(now.AddDate(0, 0, -st.DaysAgo-7))}
		v, err := svc.Report(ctx, reporter, in)
		if err != nil {
			return fmt.Errorf("demo vulnerability %q: %w", st.Title, err)
		}
		for _, s := range st.Steps {
			at(s.DaysAgo)
			if err := play(ctx, svc, users, v.Ref, s); err != nil {
				return fmt.Errorf("demo vulnerability %s, %s: %w", v.Ref, s.Do, err)
			}
		}
	}
	db.Now = realNow
	_, err = svc.TickReport(ctx, now)
	return err
}

// pick chooses the model for a story: the most installed of the kind of
// Device it is about (of the reporter's own make when the reporter is a
// manufacturer), else the models with Devices in turn.
func pick(cands []candidate, i int, st story) candidate {
	fits := func(c candidate, own bool) bool {
		return c.Type == st.Prefer && (st.PreferGen == "" || c.Gen == st.PreferGen) && (!own || c.Manufacturer == makerOrg)
	}
	for _, own := range []bool{st.Reporter == maker, false} {
		for _, c := range cands {
			if fits(c, own) {
				return c
			}
		}
	}
	return cands[i%len(cands)]
}

// affectedOf makes a range fixed in the model's latest firmware (every
// version when it has one).
func affectedOf(c candidate) []vuln.AffectedInput {
	if len(c.Firmware) < 2 {
		return []vuln.AffectedInput{{Model: c.Code}}
	}
	return []vuln.AffectedInput{{Model: c.Code, Fixed: c.Firmware[len(c.Firmware)-1]}}
}

// play does one step of a story. Lifecycle events are fired by whoever the
// table allows among the demo's people: the manufacturer's, else the SSC
// chair. Acknowledgements and plans are made by every demo Supplier (and the
// DCC) told of the vulnerability.
func play(ctx context.Context, svc *vuln.Service, users map[string]access.Caller, ref string, s step) error {
	sys := access.SystemCaller("demo seed")
	rs, err := svc.Recipients(ctx, sys, ref)
	if err != nil {
		return err
	}
	// One user acts for each organisation told: the first by email, so the
	// demo plays the same whoever else its organisation has.
	emails := slices.Sorted(maps.Keys(users))
	told := func(yield func(access.Caller, vuln.Recipient) bool) {
		for _, r := range rs {
			if (r.Role != vuln.RoleSupplier && r.Role != vuln.RoleDCC) || !r.Active || r.NotifiedAt == nil {
				continue
			}
			for _, e := range emails {
				if u := users[e]; u.OrgCode == r.Org.Code && !u.IsSSC() {
					if !yield(u, r) {
						return
					}
					break
				}
			}
		}
	}
	switch s.Do {
	case "ack":
		n := 0
		for u := range told {
			st := []vuln.Statement{vuln.StatementAffected, vuln.StatementUnderInvestigation}[n%2]
			if _, err := svc.Acknowledge(ctx, u, ref, vuln.AckInput{Statement: st}); err != nil {
				return err
			}
			n++
		}
	case "plan":
		n := 0
		for u := range told {
			if _, err := svc.SavePlan(ctx, u, ref, vuln.PlanInput{Steps: "Schedule the fixed firmware over the air, highest-risk premises first; report weekly.",
				DeclaredCompletion: sec.DateOf(svcNow(svc)).AddDays(21), Submit: true}); err != nil {
				return err
			}
			n++
		}
		if n == 0 {
			// No demo Supplier operates the model: the SSC records the
			// notice as received outside metersec.
			v, err := svc.Get(ctx, sys, ref)
			if err != nil || v.State != sec.VulnStateNotified {
				return err
			}
			_, err = svc.Transition(ctx, users[chair], ref, vuln.TransitionInput{Event: sec.VulnEventNotifySSC, Note: "Plans received by email."})
			return err
		}
	case "agree", "note", "complete":
		ps, err := svc.Plans(ctx, sys, ref)
		if err != nil {
			return err
		}
		for _, p := range ps {
			in := vuln.PlanEventInput{Event: sec.PlanEvent(s.Do)}
			who := users[chair]
			if s.Do == "complete" {
				for u := range told {
					if u.OrgCode == p.Owner.Code {
						who = u
					}
				}
			} else {
				in.Note = "Timetable reasonable; an update in two weeks please."
				in.NextUpdateDue = sec.DateOf(svcNow(svc)).AddDays(14)
			}
			if _, err := sec.PlanLifecycle.Next(p.State, in.Event, sec.AllActors...); err != nil {
				continue // completed or in a state the event does not apply to
			}
			if _, err := svc.PlanTransition(ctx, who, ref, p.ID, in); err != nil {
				return err
			}
		}
	default:
		ev := sec.VulnEvent(s.Do)
		v, err := svc.Get(ctx, sys, ref)
		if err != nil {
			return err
		}
		who := users[chair]
		if u, ok := users[maker]; ok && u.OrgCode == v.Manufacturer.Code && ev != sec.VulnEventClose && ev != sec.VulnEventStartRemediation {
			who = u
		}
		if ev == sec.VulnEventStartRemediation {
			for u := range told {
				who = u
				break
			}
		}
		if _, err := svc.Transition(ctx, who, ref, vuln.TransitionInput{Event: ev, Note: s.Note}); err != nil {
			return err
		}
	}
	return nil
}

func svcNow(svc *vuln.Service) time.Time { return svc.DB.Now() }
