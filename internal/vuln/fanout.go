package vuln

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audience"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/delivery"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// affectedGroup is the installed affected Devices of one Supplier and MAP, of
// one generation and type: what sec.WhoCarries needs to say who answers for
// them.
type affectedGroup struct {
	Supplier, MAP int64 // 0 for none
	Generation    sec.Generation
	Type          sec.DeviceType
	Devices       int64
}

// affectedRowsSQL reads the portfolio aggregates of the affected firmware:
// tens of thousands of rows at national scale, never the Devices themselves
// (DESIGN.md "Storage"). portfolio_by_firmware covers it, so neither engine
// touches the table. The rows are summed in Go rather than by GROUP BY:
// grouping needs a sort of every row (PostgreSQL's on text keys, under a
// collation), which costs more than the scan; a map over integer keys does
// not.
const affectedRowsSQL = `SELECT p.supplier_id, p.map_id, vf.model_id, p.devices
	FROM vuln_firmware vf JOIN portfolio p ON p.firmware_id = vf.firmware_id
	WHERE vf.vuln_id = $1 AND p.devices > 0`

// affectedGroups sums the installed affected Devices by Supplier, MAP,
// generation and type.
func affectedGroups(ctx context.Context, q store.Querier, vulnID int64) ([]affectedGroup, error) {
	kinds := map[int64][2]string{}
	rows, err := q.QueryContext(ctx, `SELECT m.id, m.generation, m.device_type FROM device_models m
		WHERE m.id IN (SELECT DISTINCT vf.model_id FROM vuln_firmware vf WHERE vf.vuln_id = $1)`, vulnID)
	if err != nil {
		return nil, errs.Wrap(err, "affected models")
	}
	for rows.Next() {
		var id int64
		var k [2]string
		if err := rows.Scan(&id, &k[0], &k[1]); err != nil {
			rows.Close()
			return nil, errs.Wrap(err, "affected models")
		}
		kinds[id] = k
	}
	rows.Close()
	type key struct {
		supplier, mapID int64
		kind            [2]string
	}
	sums := map[key]int64{}
	rows, err = q.QueryContext(ctx, affectedRowsSQL, vulnID)
	if err != nil {
		return nil, errs.Wrap(err, "affected Devices")
	}
	defer rows.Close()
	for rows.Next() {
		var supplier, mapID, model, devices int64
		if err := rows.Scan(&supplier, &mapID, &model, &devices); err != nil {
			return nil, errs.Wrap(err, "affected Devices")
		}
		sums[key{supplier, mapID, kinds[model]}] += devices
	}
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(err, "affected Devices")
	}
	out := make([]affectedGroup, 0, len(sums))
	for k, n := range sums {
		out = append(out, affectedGroup{Supplier: k.supplier, MAP: k.mapID, Generation: sec.Generation(k.kind[0]), Type: sec.DeviceType(k.kind[1]), Devices: n})
	}
	return out, nil
}

// recipientKey is one organisation in one role.
type recipientKey struct {
	Org  int64
	Role Role
}

// count is how many affected Devices a recipient answers for; for a
// Supplier, Duty is how many of them it carries G3.17(b) or G3.20(b) for.
type count struct{ Devices, Duty int64 }

// wanted works out who must be told and how many affected Devices each
// answers for, from the affected groups, on today under the SEC release then
// in force:
//   - every Supplier operating an affected Device (seeds/000: manufacturers
//     notify "all Suppliers which are operating their Devices"), whatever the
//     duty: an IHD or a SMETS1 hub in the DP087 gap still reaches it. The
//     duty analysis (sec.WhoCarries) decides only what its notice says (Duty);
//   - the DCC, for SMETS2+ Communications Hub and Gas Proxy Functions, which
//     are its own (G3.17(b) and G3.20(b) exclude them from the Supplier's);
//   - each MAP owning affected Devices, for information (the process copies
//     MAPs: seeds/000);
//   - the manufacturer, when someone else reported it (G3.18: notify the
//     manufacturer);
//   - the SSC (and secretariat) when it is material (G3.18, G3.9).
func (s *Service) wanted(ctx context.Context, q store.Querier, v vulnRow, groups []affectedGroup, today sec.Date) (map[recipientKey]count, error) {
	rel, err := s.Versions.InForce(today)
	if err != nil {
		return nil, errs.Wrap(err, "SEC release in force")
	}
	type duty struct {
		gen         sec.Generation
		typ         sec.DeviceType
		hasSupplier bool
	}
	cache := map[duty]sec.Obligations{}
	carries := func(g affectedGroup) (sec.Obligations, error) {
		k := duty{g.Generation, g.Type, g.Supplier != 0}
		if o, ok := cache[k]; ok {
			return o, nil
		}
		o, err := sec.WhoCarries(sec.DutyQuery{Type: g.Type, Generation: g.Generation, HasSupplier: g.Supplier != 0,
			Date: today, Version: rel.Version}, s.Settings)
		if err != nil {
			return o, errs.Wrap(fmt.Errorf("portfolio group %s %s: %w", g.Generation, g.Type, err), "who carries")
		}
		cache[k] = o
		return o, nil
	}
	out := map[recipientKey]count{}
	add := func(k recipientKey, devices, duty int64) {
		c := out[k]
		c.Devices += devices
		c.Duty += duty
		out[k] = c
	}
	var total, dcc int64
	for _, g := range groups {
		total += g.Devices
		o, err := carries(g)
		if err != nil {
			return nil, err
		}
		holds := func(h sec.DutyHolder) bool { return o.G317.Holder == h || o.G320.Holder == h }
		if g.Supplier != 0 {
			duty := int64(0)
			if holds(sec.HolderSupplier) {
				duty = g.Devices
			}
			add(recipientKey{g.Supplier, RoleSupplier}, g.Devices, duty)
		}
		if holds(sec.HolderDCC) {
			dcc += g.Devices
		}
		if g.MAP != 0 {
			add(recipientKey{g.MAP, RoleMAP}, g.Devices, 0)
		}
	}
	if dcc > 0 {
		ids, err := orgsWithRole(ctx, q, sec.DCC)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			add(recipientKey{id, RoleDCC}, dcc, 0)
		}
	}
	if v.ReporterID != v.ManufacturerID {
		out[recipientKey{v.ManufacturerID, RoleManufacturer}] = count{Devices: total}
	}
	if v.Material.Valid && v.Material.Bool {
		ids, err := orgsWithRole(ctx, q, sec.SSC, sec.Secretariat)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			out[recipientKey{id, RoleSSC}] = count{Devices: total}
		}
	}
	return out, nil
}

func orgsWithRole(ctx context.Context, q store.Querier, roles ...sec.OrgRole) ([]int64, error) {
	ph := make([]string, len(roles))
	args := make([]any, len(roles))
	for i, r := range roles {
		ph[i] = fmt.Sprintf("$%d", i+1)
		args[i] = string(r)
	}
	rows, err := q.QueryContext(ctx, "SELECT DISTINCT org_id FROM organisation_roles WHERE role IN ("+strings.Join(ph, ", ")+") ORDER BY org_id", args...)
	if err != nil {
		return nil, errs.Wrap(err, "organisations by role")
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, errs.Wrap(err, "organisations by role")
		}
		out = append(out, id)
	}
	return out, errs.Wrap(rows.Err(), "organisations by role")
}

// storedRecipient is a recipient row as fan-out needs it.
type storedRecipient struct {
	ID           int64
	Key          recipientKey
	Devices      int64
	Duty         int64 // a Supplier's Devices it carries G3.17(b)/G3.20(b) for
	Active       bool
	Activations  int
	NotifiedFor  int
	FirstNotifed sql.NullTime
}

func storedRecipients(ctx context.Context, q store.Querier, vulnID int64) (map[recipientKey]*storedRecipient, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, org_id, role, devices, duty_devices, active, activations, notified_for, first_notified_at
		FROM vuln_recipients WHERE vuln_id = $1`, vulnID)
	if err != nil {
		return nil, errs.Wrap(err, "recipients")
	}
	defer rows.Close()
	out := map[recipientKey]*storedRecipient{}
	for rows.Next() {
		var r storedRecipient
		if err := rows.Scan(&r.ID, &r.Key.Org, &r.Key.Role, &r.Devices, &r.Duty, &r.Active, &r.Activations, &r.NotifiedFor, &r.FirstNotifed); err != nil {
			return nil, errs.Wrap(err, "recipients")
		}
		out[r.Key] = &r
	}
	return out, errs.Wrap(rows.Err(), "recipients")
}

// notifies reports whether recipients in the role are told of the
// vulnerability in its present state. The manufacturer is told from the
// report on (it must judge it); everyone else once it is judged material
// (G3.17 reaches only material vulnerabilities). Nobody is told of a closed
// one, nor of a RED one: an organisation's inbox cannot carry RED content,
// which goes to named people only, so a RED vulnerability is handled by the
// people it names until the SSC marks it AMBER.
func notifies(v vulnRow, role Role) bool {
	if v.State.IsClosed() || v.Classification == sec.Red {
		return false
	}
	if role == RoleManufacturer {
		return true
	}
	return v.State != sec.VulnStateReported && v.Material.Valid && v.Material.Bool
}

// recipientClass is a recipient row's classification: AMBER, bilateral
// between the recipient and the manufacturer, whatever the vulnerability's
// own marking, since it carries the recipient's Device counts; RED when the
// vulnerability is RED, naming the same people.
func recipientClass(v vulnRow) sec.Classification {
	if v.Classification == sec.Red {
		return sec.Red
	}
	return sec.Amber
}

// fanoutResult says what a fan-out changed.
type fanoutResult struct {
	Added, Deactivated, Reactivated, Recounted, Notified int
	Recipients                                           int
}

func (r fanoutResult) changed() bool {
	return r.Added+r.Deactivated+r.Reactivated+r.Notified > 0
}

// fanoutPending reports whether a fan-out of v would change anything: a
// recipient to add, drop, bring back or recount, someone to tell, the
// system's notify to fire. Tick asks this in a read transaction first, so
// the minute-by-minute look at an unchanged estate takes no write lock
// (SQLite has one writer for everything).
func (s *Service) fanoutPending(ctx context.Context, q store.Querier, v vulnRow, today sec.Date) (bool, error) {
	switch {
	case v.State.IsClosed():
		return false, nil
	case v.Classification == sec.Red, v.State == sec.VulnStateTriaged:
		return true, nil // the named people's audience to keep in step; notify to complete
	}
	groups, err := affectedGroups(ctx, q, v.ID)
	if err != nil {
		return false, err
	}
	want, err := s.wanted(ctx, q, v, groups, today)
	if err != nil {
		return false, err
	}
	have, err := storedRecipients(ctx, q, v.ID)
	if err != nil {
		return false, err
	}
	for k, n := range want {
		if r, ok := have[k]; !ok || !r.Active || r.Devices != n.Devices || r.Duty != n.Duty {
			return true, nil
		}
	}
	for k, r := range have {
		if _, ok := want[k]; r.Active && (!ok || r.NotifiedFor < r.Activations && notifies(v, k.Role)) {
			return true, nil
		}
	}
	return false, nil
}

// fanout brings a vulnerability's recipients in line with the estate as it is
// now and tells whoever has not been told, in tx. The vulnerability must be
// locked (findVuln with lock, or lockVulnByID). It writes nothing when nothing
// changed, so Tick may run it every minute.
func (s *Service) fanout(ctx context.Context, tx *store.Tx, v vulnRow) (fanoutResult, error) {
	var res fanoutResult
	if v.State.IsClosed() {
		return res, nil
	}
	groups, err := affectedGroups(ctx, tx, v.ID)
	if err != nil {
		return res, err
	}
	want, err := s.wanted(ctx, tx, v, groups, s.today(tx.Now))
	if err != nil {
		return res, err
	}
	have, err := storedRecipients(ctx, tx, v.ID)
	if err != nil {
		return res, err
	}
	class := recipientClass(v)
	var redUsers []int64
	if class == sec.Red {
		if redUsers, err = audienceUsers(ctx, tx, Kind, v.ID); err != nil {
			return res, err
		}
	}
	keys := make([]recipientKey, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b recipientKey) int {
		if a.Org != b.Org {
			return int(a.Org - b.Org)
		}
		return strings.Compare(string(a.Role), string(b.Role))
	})
	var added []recipientKey
	for _, k := range keys {
		n := want[k]
		devices := n.Devices
		r, ok := have[k]
		switch {
		case !ok:
			added = append(added, k)
		case !r.Active:
			if _, err := tx.ExecContext(ctx, `UPDATE vuln_recipients SET active = TRUE, inactive_since = NULL,
				activations = activations + 1, devices = $1, duty_devices = $2 WHERE id = $3`, devices, n.Duty, r.ID); err != nil {
				return res, errs.Wrap(err, "reactivate recipient")
			}
			r.Active, r.Activations, r.Devices, r.Duty = true, r.Activations+1, devices, n.Duty
			if err := addEvent(ctx, tx, v.ID, eventInput{Kind: "fanout", Event: "reactivated", RecipientID: r.ID, Private: true,
				ActorAs: sec.ActorSystem, System: true, Note: fmt.Sprintf("Operates %d affected Devices again.", devices)}); err != nil {
				return res, err
			}
			res.Reactivated++
		case r.Devices != devices || r.Duty != n.Duty:
			// A recount is derived data (the aggregates moved), not a change
			// anyone made: it is neither audited nor put on the timeline.
			if _, err := tx.ExecContext(ctx, "UPDATE vuln_recipients SET devices = $1, duty_devices = $2 WHERE id = $3", devices, n.Duty, r.ID); err != nil {
				return res, errs.Wrap(err, "recount recipient")
			}
			r.Devices, r.Duty = devices, n.Duty
			res.Recounted++
		}
	}
	// New recipients in one statement (the vulnerability is locked, so no
	// other fan-out adds them meanwhile), each named to the manufacturer.
	for chunk := range slices.Chunk(added, 500) {
		var args access.Args
		values := make([]string, len(chunk))
		now, cl, vid := args.Add(tx.Now), args.Add(string(class)), args.Add(v.ID)
		for i, k := range chunk {
			values[i] = "(" + vid + ", " + args.Add(k.Org) + ", " + args.Add(string(k.Role)) + ", " + cl + ", " + args.Add(want[k].Devices) + ", " + args.Add(want[k].Duty) + ", " + now + ")"
		}
		rows, err := tx.QueryContext(ctx, `INSERT INTO vuln_recipients (vuln_id, org_id, role, classification, devices, duty_devices, added_at)
			VALUES `+strings.Join(values, ", ")+" RETURNING id, org_id, role", args...)
		if err != nil {
			return res, errs.Wrap(err, "add recipients")
		}
		var aud []audience.Named
		var newIDs []int64
		for rows.Next() {
			var r storedRecipient
			if err := rows.Scan(&r.ID, &r.Key.Org, &r.Key.Role); err != nil {
				rows.Close()
				return res, errs.Wrap(err, "add recipients")
			}
			r.Devices, r.Duty, r.Active, r.Activations = want[r.Key].Devices, want[r.Key].Duty, true, 1
			have[r.Key] = &r
			aud = append(aud, audience.Named{Kind: RecipientKind, ID: r.ID, Org: v.ManufacturerID})
			newIDs = append(newIDs, r.ID)
			res.Added++
		}
		if err := rows.Close(); err != nil {
			return res, errs.Wrap(err, "add recipients")
		}
		if err := audience.WriteOrgs(ctx, tx, aud); err != nil {
			return res, err
		}
		for _, id := range newIDs {
			if err := audience.Write(ctx, tx, RecipientKind, id, nil, redUsers); err != nil {
				return res, err
			}
		}
	}
	for k, r := range have {
		if _, ok := want[k]; ok || !r.Active {
			continue
		}
		if _, err := tx.ExecContext(ctx, "UPDATE vuln_recipients SET active = FALSE, inactive_since = $1 WHERE id = $2", tx.Now, r.ID); err != nil {
			return res, errs.Wrap(err, "deactivate recipient")
		}
		r.Active = false
		if err := addEvent(ctx, tx, v.ID, eventInput{Kind: "fanout", Event: "deactivated", RecipientID: r.ID, Private: true,
			ActorAs: sec.ActorSystem, System: true, Note: "No longer answers for any affected Device: keeps its history, gets no new notices."}); err != nil {
			return res, err
		}
		res.Deactivated++
	}
	if _, err := tx.ExecContext(ctx, "UPDATE vuln_recipients SET classification = $1 WHERE vuln_id = $2 AND classification <> $1", class, v.ID); err != nil {
		return res, errs.Wrap(err, "recipient classification")
	}
	if class == sec.Red {
		for _, r := range have {
			if err := audience.Write(ctx, tx, RecipientKind, r.ID, nil, redUsers); err != nil {
				return res, err
			}
		}
	}

	// Tell whoever is active and has not been told since it last became a
	// recipient.
	ids := make([]*storedRecipient, 0, len(have))
	for _, r := range have {
		ids = append(ids, r)
	}
	slices.SortFunc(ids, func(a, b *storedRecipient) int { return int(a.ID - b.ID) })
	var told []*storedRecipient
	for _, r := range ids {
		if r.Active {
			res.Recipients++
		}
		if r.Active && r.NotifiedFor < r.Activations && notifies(v, r.Key.Role) {
			told = append(told, r)
		}
	}
	if err := s.notifyRecipients(ctx, tx, v, told); err != nil {
		return res, err
	}
	res.Notified = len(told)
	if res.changed() {
		if _, err := tx.ExecContext(ctx, "UPDATE vulnerabilities SET fanout_at = $1 WHERE id = $2", tx.Now, v.ID); err != nil {
			return res, errs.Wrap(err, "fan-out")
		}
		if err := audit.Record(ctx, tx, "vuln.fanout", Kind, v.ID, res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// notifyRecipients sends each recipient the notice for its current
// activation, then records in a few statements that they were told and names
// each organisation on the vulnerability and on its own row.
func (s *Service) notifyRecipients(ctx context.Context, tx *store.Tx, v vulnRow, rs []*storedRecipient) error {
	if len(rs) == 0 {
		return nil
	}
	base, err := s.noticeBase(ctx, tx, v)
	if err != nil {
		return err
	}
	var aud []audience.Named
	var events []eventInput
	ids := make([]int64, 0, len(rs))
	for _, r := range rs {
		n := base.notice(v, *r)
		n.OrgID, n.RecordKind, n.RecordID = r.Key.Org, RecipientKind, r.ID
		n.Key = fmt.Sprintf("vuln:%d:recipient:%d:notify:%d", v.ID, r.ID, r.Activations)
		if r.Activations > 1 {
			n.Kind = "vulnerability.renotified"
			n.Title = "Again affects your Devices: " + n.Title
		}
		if err := s.Notifier.Notify(ctx, tx, n); err != nil {
			return err
		}
		r.NotifiedFor = r.Activations
		ids = append(ids, r.ID)
		aud = append(aud, audience.Named{Kind: Kind, ID: v.ID, Org: r.Key.Org}, audience.Named{Kind: RecipientKind, ID: r.ID, Org: r.Key.Org})
		events = append(events, eventInput{Kind: "notified", Event: string(r.Key.Role), RecipientID: r.ID, Private: true,
			ActorAs: sec.ActorSystem, System: true, Note: fmt.Sprintf("Told as %s, for %d affected Devices.", r.Key.Role.Label(), r.Devices)})
	}
	for chunk := range slices.Chunk(ids, 500) {
		var args access.Args
		now := args.Add(tx.Now)
		ph := make([]string, len(chunk))
		for i, id := range chunk {
			ph[i] = args.Add(id)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE vuln_recipients SET first_notified_at = COALESCE(first_notified_at, `+now+`),
			last_notified_at = `+now+`, notices = notices + 1, notified_for = activations WHERE id IN (`+strings.Join(ph, ", ")+`)`, args...); err != nil {
			return errs.Wrap(err, "recipients notified")
		}
	}
	if err := audience.WriteOrgs(ctx, tx, aud); err != nil {
		return err
	}
	return addEvents(ctx, tx, v.ID, events)
}

// noticeBase is what every notice of a vulnerability says, read once per
// fan-out.
type noticeBase struct {
	manufacturer string
	ranges       []rangeRow
}

func (s *Service) noticeBase(ctx context.Context, q store.Querier, v vulnRow) (noticeBase, error) {
	var b noticeBase
	if err := q.QueryRowContext(ctx, "SELECT name FROM organisations WHERE id = $1", v.ManufacturerID).Scan(&b.manufacturer); err != nil {
		return b, errs.Wrap(err, "manufacturer")
	}
	var err error
	b.ranges, err = storedRanges(ctx, q, v.ID)
	return b, err
}

// noticeFor writes the text of a notice about the vulnerability for a
// recipient.
func (s *Service) noticeFor(ctx context.Context, tx *store.Tx, v vulnRow, r storedRecipient) (delivery.Notice, error) {
	b, err := s.noticeBase(ctx, tx, v)
	if err != nil {
		return delivery.Notice{}, err
	}
	return b.notice(v, r), nil
}

// notice writes the text of a notice for a recipient. It names no other
// recipient, and not the reporter (who may be a Supplier).
func (nb noticeBase) notice(v vulnRow, r storedRecipient) delivery.Notice {
	role, devices := r.Key.Role, r.Devices
	var b strings.Builder
	fmt.Fprintf(&b, "A security vulnerability in %s products has been reported to metersec.\n\n", nb.manufacturer)
	fmt.Fprintf(&b, "Reference: %s\nTitle: %s\n", v.Ref, v.Title)
	if v.CVSSVector != "" {
		fmt.Fprintf(&b, "Severity: %s (CVSS %s %.1f)\n", v.CVSSSeverity, v.CVSSVersion, v.CVSSScore)
	}
	if v.CVEs != "" {
		fmt.Fprintf(&b, "CVE: %s\n", strings.ReplaceAll(v.CVEs, ",", ", "))
	}
	b.WriteString("Affected:\n")
	for _, r := range nb.ranges {
		fmt.Fprintf(&b, "  - %s %s (%s %s): firmware %s\n", r.Model.Code, r.Model.Name, r.Model.Generation, r.Model.DeviceType, r.Range)
	}
	switch {
	case v.Material.Valid && v.Material.Bool:
		fmt.Fprintf(&b, "Judged material: %s\n", v.Rationale)
	case !v.Material.Valid:
		b.WriteString("Materiality: not yet judged.\n")
	}
	what := "Please acknowledge it in metersec and say whether you are affected."
	switch role {
	case RoleSupplier:
		fmt.Fprintf(&b, "\nAffected Devices you operate as Responsible Supplier: %d.\n", devices)
		switch duty := min(r.Duty, devices); {
		case duty == devices:
			b.WriteString("You carry G3.17(b)/G3.20(b) for all of them.\n")
		case duty == 0:
			b.WriteString("You carry no G3.17(b)/G3.20(b) duty for them under the SEC version in force (an In-Home Display, a SMETS2+ Communications Hub, which is the DCC's, or a SMETS1 one in the DP087 gap); you are told because you operate them.\n")
		default:
			fmt.Fprintf(&b, "You carry G3.17(b)/G3.20(b) for %d of them; for the other %d you carry no such duty under the SEC version in force (an In-Home Display, a SMETS2+ Communications Hub, which is the DCC's, or a SMETS1 one in the DP087 gap), and you are told because you operate them.\n", duty, devices-duty)
		}
		what = "Please acknowledge it in metersec, say whether you are affected, and tell the SSC the steps you are taking and when they will be complete (G3.18, G3.9)."
		if r.Duty == 0 {
			what = "Please acknowledge it in metersec and say whether you are affected."
		}
	case RoleDCC:
		fmt.Fprintf(&b, "\nAffected SMETS2+ Communications Hub and Gas Proxy Functions: %d.\n", devices)
	case RoleMAP:
		fmt.Fprintf(&b, "\nAffected Devices you own: %d. You are told for information.\n", devices)
		what = "No action is asked of you in metersec."
	case RoleManufacturer:
		fmt.Fprintf(&b, "\nInstalled Devices affected: %d.\n", devices)
		what = "Please acknowledge it in metersec and judge whether it is material."
	case RoleSSC:
		fmt.Fprintf(&b, "\nInstalled Devices affected: %d.\n", devices)
		what = "For the SSC's oversight (G3.18, G3.9)."
	}
	b.WriteString("\n" + what + "\n")
	return delivery.Notice{
		Kind:           "vulnerability.notified",
		Title:          v.Ref + ": " + v.Title,
		Body:           b.String(),
		Link:           "/vulnerabilities/" + v.Ref,
		Classification: sec.Amber,
		Data: map[string]any{"ref": v.Ref, "title": v.Title, "role": role, "devices": devices, "duty_devices": r.Duty, "state": v.State,
			"cvss": v.CVSSVector, "severity": v.CVSSSeverity},
	}
}

// audienceUsers lists the people a record names.
func audienceUsers(ctx context.Context, q store.Querier, kind string, id int64) ([]int64, error) {
	rows, err := q.QueryContext(ctx, "SELECT user_id FROM audience_users WHERE record_kind = $1 AND record_id = $2 ORDER BY user_id", kind, id)
	if err != nil {
		return nil, errs.Wrap(err, "audience")
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, errs.Wrap(err, "audience")
		}
		out = append(out, id)
	}
	return out, errs.Wrap(rows.Err(), "audience")
}

// notifyActive sends every active recipient already told a notice about a
// change (a new revision, a closure), of kind "vulnerability."+kind. key
// names the occurrence (e.g. "revision:3"), so it is sent once.
func (s *Service) notifyActive(ctx context.Context, tx *store.Tx, v vulnRow, kind, key, title string) error {
	if v.Classification == sec.Red {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, org_id, role, devices, duty_devices FROM vuln_recipients
		WHERE vuln_id = $1 AND active AND first_notified_at IS NOT NULL ORDER BY id`, v.ID)
	if err != nil {
		return errs.Wrap(err, "recipients")
	}
	var rs []storedRecipient
	for rows.Next() {
		var r storedRecipient
		if err := rows.Scan(&r.ID, &r.Key.Org, &r.Key.Role, &r.Devices, &r.Duty); err != nil {
			rows.Close()
			return errs.Wrap(err, "recipients")
		}
		rs = append(rs, r)
	}
	rows.Close()
	for _, r := range rs {
		if !v.State.IsClosed() && !notifies(v, r.Key.Role) {
			continue
		}
		n, err := s.noticeFor(ctx, tx, v, r)
		if err != nil {
			return err
		}
		n.Kind = "vulnerability." + kind
		n.Title = v.Ref + ": " + title
		n.OrgID, n.RecordKind, n.RecordID = r.Key.Org, RecipientKind, r.ID
		n.Key = fmt.Sprintf("vuln:%d:recipient:%d:%s", v.ID, r.ID, key)
		if err := s.Notifier.Notify(ctx, tx, n); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE vuln_recipients SET last_notified_at = $1, notices = notices + 1 WHERE id = $2", tx.Now, r.ID); err != nil {
			return errs.Wrap(err, "recipient notified")
		}
	}
	return nil
}
