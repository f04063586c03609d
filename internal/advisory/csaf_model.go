package advisory

import "encoding/json"

// The CSAF 2.0 document, as far as metersec writes or reads it, with the JSON
// names of the CSAF 2.0 schema.
//
// Why not gocsaf's csaf.Advisory: in v3.7.0 its structs spell
// "acknowledgements" where the schema says "acknowledgments" (so an export
// through them fails the schema, and an import silently drops credits), and
// they model product_tree.product_groups and every group_ids as an object
// where the schema has arrays (so a valid manufacturer advisory that uses
// product groups fails to decode at all). gocsaf's schema validator is right
// and is what checks every document in and out; these structs only carry the
// data. Decoding ignores members not listed here; the schema has already
// checked them.

type csafDoc struct {
	Document        csafDocument        `json:"document"`
	ProductTree     *csafProductTree    `json:"product_tree,omitempty"`
	Vulnerabilities []csafVulnerability `json:"vulnerabilities,omitempty"`
}

type csafDocument struct {
	Category          string             `json:"category"`
	CSAFVersion       string             `json:"csaf_version"`
	Title             string             `json:"title"`
	Publisher         csafPublisher      `json:"publisher"`
	Tracking          csafTracking       `json:"tracking"`
	Distribution      *csafDistribution  `json:"distribution,omitempty"`
	Lang              string             `json:"lang,omitempty"`
	AggregateSeverity *csafSeverity      `json:"aggregate_severity,omitempty"`
	Notes             []csafNote         `json:"notes,omitempty"`
	Acknowledgments   []csafAcknowledged `json:"acknowledgments,omitempty"`
}

type csafPublisher struct {
	Category         string `json:"category"`
	Name             string `json:"name"`
	Namespace        string `json:"namespace"`
	ContactDetails   string `json:"contact_details,omitempty"`
	IssuingAuthority string `json:"issuing_authority,omitempty"`
}

type csafTracking struct {
	ID                 string         `json:"id"`
	Status             string         `json:"status"`
	Version            string         `json:"version"`
	InitialReleaseDate string         `json:"initial_release_date"`
	CurrentReleaseDate string         `json:"current_release_date"`
	RevisionHistory    []csafRevision `json:"revision_history"`
	Generator          *csafGenerator `json:"generator,omitempty"`
}

type csafRevision struct {
	Number  string `json:"number"`
	Date    string `json:"date"`
	Summary string `json:"summary"`
}

type csafGenerator struct {
	Engine struct {
		Name    string `json:"name"`
		Version string `json:"version,omitempty"`
	} `json:"engine"`
}

type csafDistribution struct {
	Text string   `json:"text,omitempty"`
	TLP  *csafTLP `json:"tlp,omitempty"`
}

type csafTLP struct {
	Label string `json:"label"`
	URL   string `json:"url,omitempty"`
}

type csafSeverity struct {
	Text string `json:"text"`
}

type csafNote struct {
	Category string `json:"category"`
	Title    string `json:"title,omitempty"`
	Text     string `json:"text"`
}

type csafAcknowledged struct {
	Organization string   `json:"organization,omitempty"`
	Names        []string `json:"names,omitempty"`
	Summary      string   `json:"summary,omitempty"`
}

type csafProductTree struct {
	Branches         []csafBranch       `json:"branches,omitempty"`
	FullProductNames []csafProduct      `json:"full_product_names,omitempty"`
	Relationships    []csafRelationship `json:"relationships,omitempty"`
	ProductGroups    []csafProductGroup `json:"product_groups,omitempty"`
}

type csafBranch struct {
	Category string       `json:"category"`
	Name     string       `json:"name"`
	Branches []csafBranch `json:"branches,omitempty"`
	Product  *csafProduct `json:"product,omitempty"`
}

type csafProduct struct {
	Name      string      `json:"name"`
	ProductID string      `json:"product_id"`
	Helper    *csafHelper `json:"product_identification_helper,omitempty"`
}

type csafHelper struct {
	CPE          string   `json:"cpe,omitempty"`
	ModelNumbers []string `json:"model_numbers,omitempty"`
	SKUs         []string `json:"skus,omitempty"`
}

type csafRelationship struct {
	Category         string      `json:"category"`
	FullProductName  csafProduct `json:"full_product_name"`
	ProductReference string      `json:"product_reference"`
	RelatesToProduct string      `json:"relates_to_product_reference"`
}

type csafProductGroup struct {
	GroupID    string   `json:"group_id"`
	ProductIDs []string `json:"product_ids"`
}

type csafVulnerability struct {
	CVE             string             `json:"cve,omitempty"`
	IDs             []csafID           `json:"ids,omitempty"`
	Title           string             `json:"title,omitempty"`
	DiscoveryDate   string             `json:"discovery_date,omitempty"`
	Notes           []csafNote         `json:"notes,omitempty"`
	Acknowledgments []csafAcknowledged `json:"acknowledgments,omitempty"`
	ProductStatus   *csafProductStatus `json:"product_status,omitempty"`
	Scores          []csafScore        `json:"scores,omitempty"`
	Remediations    []csafRemediation  `json:"remediations,omitempty"`
}

type csafID struct {
	SystemName string `json:"system_name"`
	Text       string `json:"text"`
}

type csafProductStatus struct {
	FirstAffected      []string `json:"first_affected,omitempty"`
	FirstFixed         []string `json:"first_fixed,omitempty"`
	Fixed              []string `json:"fixed,omitempty"`
	KnownAffected      []string `json:"known_affected,omitempty"`
	KnownNotAffected   []string `json:"known_not_affected,omitempty"`
	LastAffected       []string `json:"last_affected,omitempty"`
	Recommended        []string `json:"recommended,omitempty"`
	UnderInvestigation []string `json:"under_investigation,omitempty"`
}

// statusList is one list of a product_status, with the metersec status it
// counts as ("" for recommended, which says nothing about the vulnerability).
type statusList struct {
	name   string
	status ProductStatus
	ids    []string
}

// lists returns the lists of a product_status in schema order.
func (s *csafProductStatus) lists() []statusList {
	if s == nil {
		return nil
	}
	return []statusList{
		{"first_affected", KnownAffected, s.FirstAffected},
		{"first_fixed", Fixed, s.FirstFixed},
		{"fixed", Fixed, s.Fixed},
		{"known_affected", KnownAffected, s.KnownAffected},
		{"known_not_affected", KnownNotAffected, s.KnownNotAffected},
		{"last_affected", KnownAffected, s.LastAffected},
		{"recommended", "", s.Recommended},
		{"under_investigation", UnderInvestigation, s.UnderInvestigation},
	}
}

type csafScore struct {
	CVSSv2   json.RawMessage `json:"cvss_v2,omitempty"`
	CVSSv3   *csafCVSS3      `json:"cvss_v3,omitempty"`
	Products []string        `json:"products"`
}

type csafCVSS3 struct {
	Version      string  `json:"version"`
	VectorString string  `json:"vectorString"`
	BaseScore    float64 `json:"baseScore"`
	BaseSeverity string  `json:"baseSeverity"`
}

type csafRemediation struct {
	Category   string   `json:"category"`
	Details    string   `json:"details"`
	Date       string   `json:"date,omitempty"`
	URL        string   `json:"url,omitempty"`
	ProductIDs []string `json:"product_ids,omitempty"`
	GroupIDs   []string `json:"group_ids,omitempty"`
}
