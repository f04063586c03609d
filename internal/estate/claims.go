package estate

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/delivery"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// Under the gaining-Supplier model any Supplier may claim a Device by its ID
// (a change of supplier names the new Supplier only), so the losing Supplier
// must be told: once per churn file, in the file's transaction, and once a
// day for single-Device claims (NotifyClaims, run by the scheduler). The
// notice never names the gaining Supplier: Suppliers never learn each
// other's identity.

// NoticeLost is the kind of the losing Supplier's notice.
const NoticeLost = "estate.devices_lost"

// lossSample is how many Device IDs a notice lists; the count is always
// whole.
const lossSample = 100

// loss is what one Supplier lost to a file or in a day.
type loss struct {
	devices     int64
	first, last sec.Date
	sample      []DeviceID
}

// losses are the losses by losing Supplier.
type losses map[int64]*loss

func (l losses) add(sup int64, id DeviceID, eff sec.Date) {
	x := l[sup]
	if x == nil {
		x = &loss{first: eff, last: eff}
		l[sup] = x
	}
	x.devices++
	if eff.Before(x.first) {
		x.first = eff
	}
	if eff.After(x.last) {
		x.last = eff
	}
	if len(x.sample) < lossSample {
		x.sample = append(x.sample, id)
	}
}

// notify tells each losing Supplier, in tx, what it lost; key names the event
// (the file, or the day of claims).
func (l losses) notify(ctx context.Context, tx *store.Tx, key, how string) error {
	sups := make([]int64, 0, len(l))
	for s := range l {
		sups = append(sups, s)
	}
	slices.Sort(sups)
	for _, sup := range sups {
		x := l[sup]
		ids := make([]string, len(x.sample))
		for i, id := range x.sample {
			ids[i] = id.String()
		}
		slices.Sort(ids)
		dates := x.first.String()
		if x.last != x.first {
			dates = "from " + x.first.String() + " to " + x.last.String()
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s of your Devices changed Responsible Supplier (effective %s) %s.\n\n", plural(x.devices, "Device"), dates, how)
		b.WriteString("Another Supplier became responsible for them. If you did not expect this, raise it with the SSC.\n\n")
		b.WriteString("Devices: " + strings.Join(ids, ", "))
		if more := x.devices - int64(len(ids)); more > 0 {
			fmt.Fprintf(&b, " and %d more", more)
		}
		b.WriteString(".\n")
		if _, err := delivery.Notify(ctx, tx, delivery.Notice{OrgID: sup, Kind: NoticeLost,
			Title: fmt.Sprintf("%s of yours changed Supplier", plural(x.devices, "Device")), Body: b.String(),
			Link: "/estate", RecordKind: "organisation", RecordID: sup, Key: key}); err != nil {
			return err
		}
	}
	return nil
}

// checkClaimLimit refuses a Supplier's single-Device claim when it has
// claimed Limits.ClaimsPerDay of other Suppliers' Devices today already. A
// Device the caller may not see (another Supplier's, or none at all) counts
// the same either way, so the refusal says nothing about the Device.
func (s *Service) checkClaimLimit(ctx context.Context, tx *store.Tx, own int64, id DeviceID, today sec.Date) error {
	if own == 0 {
		return nil
	}
	var mine bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM devices WHERE id = $1 AND supplier_id = $2)`, id.Int64(), own).Scan(&mine); err != nil {
		return errs.Wrap(err, "estate: claims")
	}
	if mine {
		return nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM estate_claims WHERE claimant_id = $1 AND day = $2`, own, today).Scan(&n); err != nil {
		return errs.Wrap(err, "estate: claims")
	}
	if limit := s.limits().ClaimsPerDay; n >= limit {
		return errs.E(errs.RateLimited, "you have claimed %s of other Suppliers today, the most a day through this route: send larger changes as a churn file",
			plural(int64(n), "Device"))
	}
	return nil
}

// recordClaims writes the single-Device changes that took Devices from a
// Supplier, for the day's notice and the claimant's limit.
func recordClaims(ctx context.Context, tx *store.Tx, own, gainer int64, l losses, today sec.Date) error {
	var claimant any
	if own != 0 {
		claimant = own
	}
	for loser, x := range l {
		for _, id := range x.sample {
			if _, err := tx.ExecContext(ctx, `INSERT INTO estate_claims (day, claimant_id, gainer_id, loser_id, device_id, effective, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, today, claimant, gainer, loser, id.Int64(), x.first, tx.Now); err != nil {
				return errs.Wrap(err, "estate: record claim")
			}
		}
	}
	return nil
}

// NotifyClaims tells each Supplier that lost Devices to single-Device claims
// on a day before today, once for the day, and marks those claims told. The
// scheduler runs it; running it again tells no one twice.
func (s *Service) NotifyClaims(ctx context.Context, c access.Caller, today sec.Date) (int, error) {
	if !c.System {
		return 0, errs.E(errs.Forbidden, "only the scheduler sends the daily notices of claimed Devices")
	}
	told := 0
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT day, loser_id, device_id, effective FROM estate_claims
			WHERE NOT notified AND day < $1 ORDER BY day, loser_id, device_id`, today)
		if err != nil {
			return errs.Wrap(err, "estate: claims to tell")
		}
		byDay := map[sec.Date]losses{}
		var days []sec.Date
		for rows.Next() {
			var day, eff sec.Date
			var loser, id int64
			if err := rows.Scan(&day, &loser, &id, &eff); err != nil {
				rows.Close()
				return errs.Wrap(err, "estate: claims to tell")
			}
			if byDay[day] == nil {
				byDay[day] = losses{}
				days = append(days, day)
			}
			byDay[day].add(loser, DeviceIDFromInt64(id), eff)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return errs.Wrap(err, "estate: claims to tell")
		}
		for _, day := range days {
			if err := byDay[day].notify(ctx, tx, "estate:claims:"+day.String(), "by single changes of supplier on "+day.String()); err != nil {
				return err
			}
			told += len(byDay[day])
		}
		_, err = tx.ExecContext(ctx, `UPDATE estate_claims SET notified = TRUE WHERE NOT notified AND day < $1`, today)
		return errs.Wrap(err, "estate: claims told")
	})
	return told, err
}

// byCode is how many Devices each losing Supplier lost, by its code, for the
// audit trail.
func (l losses) byCode(og *orgs) map[string]int64 {
	out := map[string]int64{}
	for sup, x := range l {
		out[og.code(sup)] += x.devices
	}
	return out
}

// churnAudit and claimAudit are the audit records of a churn file and of a
// single change: what the caller was told, and who lost how many Devices.
type churnAudit struct {
	ChurnResult
	Lost map[string]int64 `json:"lost"`
}

type claimAudit struct {
	Change
	Lost map[string]int64 `json:"lost"`
}
