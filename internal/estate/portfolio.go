package estate

import (
	"context"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
)

// portfolioVisible is the condition, on a portfolio row p joined to its
// model m, that the caller may see it: a Supplier its own rows, a
// manufacturer the rows of its models (which Suppliers operate them, how
// many), a MAP the rows of Devices it owns, the DCC the SMETS2+
// Communications Hub and Gas Proxy Function rows, and the SSC, the
// secretariat and the system all. The same rule as for single Devices.
func portfolioVisible(c access.Caller, args *access.Args) string {
	return estateVisible(c, args, "p.supplier_id", "p.map_id", "p.generation", "p.device_type")
}

// portfolioWhere builds the WHERE clause of a portfolio query.
func portfolioWhere(c access.Caller, q PortfolioQuery, args *access.Args) string {
	where := []string{"p.devices <> 0", portfolioVisible(c, args)}
	if v := strings.ToUpper(strings.TrimSpace(q.Supplier)); v != "" {
		where = append(where, "so.code = "+args.Add(v))
	}
	if v := strings.ToUpper(strings.TrimSpace(q.Manufacturer)); v != "" {
		where = append(where, "mo.code = "+args.Add(v))
	}
	if v := strings.ToUpper(strings.TrimSpace(q.MAP)); v != "" {
		where = append(where, "mp.code = "+args.Add(v))
	}
	return strings.Join(where, " AND ")
}

const portfolioFrom = ` FROM portfolio p
	JOIN organisations so ON so.id = p.supplier_id
	JOIN device_models m ON m.id = p.model_id
	JOIN organisations mo ON mo.id = m.manufacturer_id
	JOIN firmware_versions f ON f.id = p.firmware_id
	LEFT JOIN organisations mp ON mp.id = p.map_id`

// Portfolio is the portfolio aggregates the caller may see, narrowed by q,
// by Supplier, manufacturer, model, firmware and MAP. Organisation codes in
// q match whatever the caller may see; an unknown code matches nothing.
func (s *Service) Portfolio(ctx context.Context, c access.Caller, q PortfolioQuery) ([]PortfolioRow, error) {
	return s.portfolioRows(ctx, c, q, portfolioCodeOrder, 0)
}

// PortfolioShare is the installed Devices of one manufacturer and generation
// in a portfolio, and how many portfolio rows hold them.
type PortfolioShare struct {
	Manufacturer string
	Generation   sec.Generation
	Rows         int
	Devices      int64
}

// PortfolioHead is limit rows of Portfolio, in the order of the table's key
// (Supplier, model, firmware, MAP as stored), and the whole of it summed by
// manufacturer and generation in the database: what a page shows. The SSC's portfolio has a row per Supplier, model, firmware
// and MAP (180,000 at national scale); reading them all to list a few
// thousand and draw a chart made the portfolio page a quarter of the
// server's CPU under the mixed load test (BENCHMARKS.md).
func (s *Service) PortfolioHead(ctx context.Context, c access.Caller, q PortfolioQuery, limit int) ([]PortfolioRow, []PortfolioShare, error) {
	if limit <= 0 {
		return nil, nil, errs.E(errs.Invalid, "a portfolio head needs a positive limit")
	}
	head, err := s.portfolioRows(ctx, c, q, portfolioKeyOrder, limit)
	if err != nil {
		return nil, nil, err
	}
	var probe access.Args
	if portfolioVisible(c, &probe) == "TRUE" && strings.TrimSpace(q.Supplier) == "" && strings.TrimSpace(q.MAP) == "" {
		// Whoever sees every row (the SSC, the secretariat, the system)
		// and asks for no Supplier or MAP sums the per-model totals,
		// hundreds of rows kept exact by triggers (migration 1301), not
		// every portfolio row.
		shares, err := s.modelShares(ctx, q)
		return head, shares, err
	}
	// Only the joins the sums and the filters need: joining every row to
	// its Supplier, firmware and MAP to sum by manufacturer tripled the
	// query's time on the SSC's whole portfolio.
	from := ` FROM portfolio p
	JOIN device_models m ON m.id = p.model_id
	JOIN organisations mo ON mo.id = m.manufacturer_id`
	if strings.TrimSpace(q.Supplier) != "" {
		from += " JOIN organisations so ON so.id = p.supplier_id"
	}
	if strings.TrimSpace(q.MAP) != "" {
		from += " LEFT JOIN organisations mp ON mp.id = p.map_id"
	}
	args := access.Args{}
	rows, err := s.DB.QueryContext(ctx, `SELECT mo.code, p.generation, COUNT(*), SUM(p.devices)`+
		from+" WHERE "+portfolioWhere(c, q, &args)+" GROUP BY mo.code, p.generation ORDER BY mo.code, p.generation", args...)
	if err != nil {
		return nil, nil, errs.Wrap(err, "sum portfolio")
	}
	defer rows.Close()
	var shares []PortfolioShare
	for rows.Next() {
		var sh PortfolioShare
		if err := rows.Scan(&sh.Manufacturer, &sh.Generation, &sh.Rows, &sh.Devices); err != nil {
			return nil, nil, errs.Wrap(err, "sum portfolio")
		}
		shares = append(shares, sh)
	}
	return head, shares, errs.Wrap(rows.Err(), "sum portfolio")
}

// modelShares sums portfolio_model_totals by manufacturer and generation:
// the chart of the whole portfolio, narrowed by manufacturer only.
func (s *Service) modelShares(ctx context.Context, q PortfolioQuery) ([]PortfolioShare, error) {
	var args access.Args
	where := "t.portfolio_rows <> 0"
	if v := strings.ToUpper(strings.TrimSpace(q.Manufacturer)); v != "" {
		where += " AND mo.code = " + args.Add(v)
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT mo.code, t.generation, SUM(t.portfolio_rows), SUM(t.devices) FROM portfolio_model_totals t
		JOIN device_models m ON m.id = t.model_id JOIN organisations mo ON mo.id = m.manufacturer_id
		WHERE `+where+` GROUP BY mo.code, t.generation ORDER BY mo.code, t.generation`, args...)
	if err != nil {
		return nil, errs.Wrap(err, "sum portfolio")
	}
	defer rows.Close()
	var shares []PortfolioShare
	for rows.Next() {
		var sh PortfolioShare
		if err := rows.Scan(&sh.Manufacturer, &sh.Generation, &sh.Rows, &sh.Devices); err != nil {
			return nil, errs.Wrap(err, "sum portfolio")
		}
		shares = append(shares, sh)
	}
	return shares, errs.Wrap(rows.Err(), "sum portfolio")
}

// The orders of portfolio rows: by the codes people read (a sort of every
// row the caller may see), or by the table's key, Supplier, model, firmware
// and MAP as stored, which the database reads in order and stops after a
// LIMIT: on the SSC's 90,000 rows at a million Devices the code order cost a
// second of a loaded machine for a page of 2,000.
const (
	portfolioCodeOrder = " ORDER BY so.code, mo.code, m.code, f.version, COALESCE(mp.code, '')"
	portfolioKeyOrder  = " ORDER BY p.supplier_id, p.model_id, p.firmware_id, p.map_id"
)

// portfolioRows reads the portfolio rows in order, at most limit of them
// (all when limit is 0).
func (s *Service) portfolioRows(ctx context.Context, c access.Caller, q PortfolioQuery, order string, limit int) ([]PortfolioRow, error) {
	args := access.Args{}
	query := `SELECT so.code, mo.code, m.code, f.version, p.generation, p.device_type, COALESCE(mp.code, ''), p.devices` +
		portfolioFrom + " WHERE " + portfolioWhere(c, q, &args) + order
	if limit > 0 {
		query += " LIMIT " + args.Add(limit)
	}
	rows, err := s.DB.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, errs.Wrap(err, "read portfolio")
	}
	defer rows.Close()
	out := []PortfolioRow{}
	for rows.Next() {
		var r PortfolioRow
		if err := rows.Scan(&r.Supplier, &r.Manufacturer, &r.Model, &r.Firmware, &r.Generation, &r.DeviceType, &r.MAP, &r.Devices); err != nil {
			return nil, errs.Wrap(err, "read portfolio")
		}
		out = append(out, r)
	}
	return out, errs.Wrap(rows.Err(), "read portfolio")
}

// PortfolioTotal is the installed Devices of one Supplier, generation and
// device type.
type PortfolioTotal struct {
	Supplier   string         `json:"supplier"`
	Generation sec.Generation `json:"generation"`
	DeviceType sec.DeviceType `json:"device_type"`
	Devices    int64          `json:"devices"`
}

// PortfolioTotals sums the portfolio the caller may see, narrowed by q, by
// Supplier, generation and device type, in SQL.
func (s *Service) PortfolioTotals(ctx context.Context, c access.Caller, q PortfolioQuery) ([]PortfolioTotal, error) {
	args := access.Args{}
	rows, err := s.DB.QueryContext(ctx, `SELECT so.code, p.generation, p.device_type, SUM(p.devices)`+
		portfolioFrom+" WHERE "+portfolioWhere(c, q, &args)+
		" GROUP BY so.code, p.generation, p.device_type ORDER BY so.code, p.generation, p.device_type", args...)
	if err != nil {
		return nil, errs.Wrap(err, "sum portfolio")
	}
	defer rows.Close()
	out := []PortfolioTotal{}
	for rows.Next() {
		var t PortfolioTotal
		if err := rows.Scan(&t.Supplier, &t.Generation, &t.DeviceType, &t.Devices); err != nil {
			return nil, errs.Wrap(err, "sum portfolio")
		}
		out = append(out, t)
	}
	return out, errs.Wrap(rows.Err(), "sum portfolio")
}

// Operator is a Supplier operating Devices of one of a manufacturer's
// models: the answer a manufacturer needs to know whom to tell.
type Operator struct {
	Supplier   string         `json:"supplier"`
	Model      string         `json:"model"`
	Generation sec.Generation `json:"generation"`
	DeviceType sec.DeviceType `json:"device_type"`
	Devices    int64          `json:"devices"`
}

// Operators lists, for the manufacturer's models the caller may see, which
// Suppliers operate them and how many installed Devices each has, summed
// over firmware and MAP in SQL.
func (s *Service) Operators(ctx context.Context, c access.Caller, manufacturer string) ([]Operator, error) {
	if strings.TrimSpace(manufacturer) == "" {
		return nil, errs.FieldError("manufacturer", "required: an organisation code")
	}
	args := access.Args{}
	rows, err := s.DB.QueryContext(ctx, `SELECT so.code, m.code, p.generation, p.device_type, SUM(p.devices)`+
		portfolioFrom+" WHERE "+portfolioWhere(c, PortfolioQuery{Manufacturer: manufacturer}, &args)+
		" GROUP BY so.code, m.code, p.generation, p.device_type ORDER BY so.code, m.code", args...)
	if err != nil {
		return nil, errs.Wrap(err, "read operators")
	}
	defer rows.Close()
	out := []Operator{}
	for rows.Next() {
		var o Operator
		if err := rows.Scan(&o.Supplier, &o.Model, &o.Generation, &o.DeviceType, &o.Devices); err != nil {
			return nil, errs.Wrap(err, "read operators")
		}
		out = append(out, o)
	}
	return out, errs.Wrap(rows.Err(), "read operators")
}

// SMSCounts sums, per Supplier code, the installed electricity and gas
// meters (ESME and GSME) of the portfolio the caller may see: each is the
// heart of one Smart Metering System, so this is the count the SSC's
// forward plan of assessments weighs against its threshold. It reads the
// portfolio aggregates, never the Devices.
func (s *Service) SMSCounts(ctx context.Context, c access.Caller) (map[string]int64, error) {
	args := access.Args{}
	// Sum by Supplier id first and name the few sums after: joining every
	// portfolio row to its organisation and model cost 10 times as much at
	// a million Devices. The model join is needed only where the caller's
	// visibility reads the manufacturer.
	from, where := "portfolio p", "TRUE"
	if !c.System && !c.IsSSC() {
		from, where = "portfolio p JOIN device_models m ON m.id = p.model_id", portfolioVisible(c, &args)
	}
	rows, err := s.DB.QueryContext(ctx, `SELECT so.code, t.n FROM (SELECT p.supplier_id, SUM(p.devices) AS n FROM `+from+`
		WHERE p.device_type IN ('ESME', 'GSME') AND `+where+` GROUP BY p.supplier_id) t
		JOIN organisations so ON so.id = t.supplier_id`, args...)
	if err != nil {
		return nil, errs.Wrap(err, "count Smart Metering Systems")
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var code string
		var n int64
		if err := rows.Scan(&code, &n); err != nil {
			return nil, errs.Wrap(err, "count Smart Metering Systems")
		}
		out[code] = n
	}
	return out, errs.Wrap(rows.Err(), "count Smart Metering Systems")
}
