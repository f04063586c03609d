package advisory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/gocsaf/csaf/v3/csaf"
)

// parseJSON reads exactly one JSON value, as the schema validator wants it:
// generic values, with json.Number for numbers (the jsonschema library gocsaf
// uses expects that, and it keeps numbers exact). Trailing data after the
// value is an error, as in gocsaf's own validator.
func parseJSON(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("unexpected data after the JSON document at byte %d", dec.InputOffset())
	}
	return v, nil
}

// schemaProblems checks a parsed JSON document against the CSAF 2.0 JSON
// schema with gocsaf's csaf.ValidateCSAF. The schema (and the CVSS v2, v3.0
// and v3.1 schemas it refers to) are embedded in gocsaf, so this needs no
// network. Each problem reads "<JSON pointer>: <message>", e.g.
// "/document/tracking/id: minLength: got 0, want 1".
//
// gocsaf v3.7.0 runs the CSAF mandatory tests (§6.1) only through a remote
// validator service (csaf.RemoteValidatorOptions), which metersec does not
// call; mandatoryProblems runs the ones product mapping depends on.
func schemaProblems(doc any) ([]string, error) {
	return csaf.ValidateCSAF(doc)
}

// mandatoryProblems runs the CSAF 2.0 mandatory tests on product and group
// ids: 6.1.1 (every product id used is defined), 6.1.2 (no product id is
// defined twice), 6.1.4 and 6.1.5 (the same for product group ids) and 6.1.6
// (no product has contradicting statuses within one vulnerability). An export
// must pass them; an import reads statuses only when they hold.
func mandatoryProblems(doc *csafDoc) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	defined := map[string]string{} // product id → where it is defined
	define := func(p *csafProduct, path string) {
		if first, dup := defined[p.ProductID]; dup {
			add("%s/product_id: product id %q is already defined at %s (CSAF 6.1.2)", path, p.ProductID, first)
			return
		}
		defined[p.ProductID] = path
	}
	groups := map[string]bool{}
	pt := doc.ProductTree
	if pt == nil {
		pt = &csafProductTree{}
	}
	var walk func(bs []csafBranch, path string)
	walk = func(bs []csafBranch, path string) {
		for i := range bs {
			p := fmt.Sprintf("%s/%d", path, i)
			if bs[i].Product != nil {
				define(bs[i].Product, p+"/product")
			}
			walk(bs[i].Branches, p+"/branches")
		}
	}
	walk(pt.Branches, "/product_tree/branches")
	for i := range pt.FullProductNames {
		define(&pt.FullProductNames[i], fmt.Sprintf("/product_tree/full_product_names/%d", i))
	}
	for i := range pt.Relationships {
		define(&pt.Relationships[i].FullProductName, fmt.Sprintf("/product_tree/relationships/%d/full_product_name", i))
	}
	for i, g := range pt.ProductGroups {
		if groups[g.GroupID] {
			add("/product_tree/product_groups/%d/group_id: product group id %q is defined twice (CSAF 6.1.5)", i, g.GroupID)
		}
		groups[g.GroupID] = true
	}

	usedProduct := func(id, path string) {
		if _, ok := defined[id]; !ok {
			add("%s: product id %q is not defined in the product tree (CSAF 6.1.1)", path, id)
		}
	}
	usedProducts := func(ids []string, path string) {
		for i, id := range ids {
			usedProduct(id, fmt.Sprintf("%s/%d", path, i))
		}
	}
	for i, r := range pt.Relationships {
		p := fmt.Sprintf("/product_tree/relationships/%d", i)
		usedProduct(r.ProductReference, p+"/product_reference")
		usedProduct(r.RelatesToProduct, p+"/relates_to_product_reference")
	}
	for i, g := range pt.ProductGroups {
		usedProducts(g.ProductIDs, fmt.Sprintf("/product_tree/product_groups/%d/product_ids", i))
	}

	for vi, v := range doc.Vulnerabilities {
		vp := fmt.Sprintf("/vulnerabilities/%d", vi)
		groupOf := map[string]string{} // product id → status group (6.1.6)
		for _, l := range v.ProductStatus.lists() {
			path := vp + "/product_status/" + l.name
			usedProducts(l.ids, path)
			if l.status == "" {
				continue
			}
			for i, id := range l.ids {
				if other, ok := groupOf[id]; ok && other != string(l.status) {
					add("%s/%d: product id %q is both %s and %s (CSAF 6.1.6)", path, i, id, other, l.status)
					continue
				}
				groupOf[id] = string(l.status)
			}
		}
		for i, s := range v.Scores {
			usedProducts(s.Products, fmt.Sprintf("%s/scores/%d/products", vp, i))
		}
		for i, r := range v.Remediations {
			p := fmt.Sprintf("%s/remediations/%d", vp, i)
			usedProducts(r.ProductIDs, p+"/product_ids")
			for j, g := range r.GroupIDs {
				if !groups[g] {
					add("%s/group_ids/%d: product group id %q is not defined (CSAF 6.1.4)", p, j, g)
				}
			}
		}
	}
	return problems
}
