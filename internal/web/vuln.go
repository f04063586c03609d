package web

import (
	"strings"

	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/vuln"
)

var vulnStateLabels = map[sec.VulnState]string{
	sec.VulnStateReported:          "Reported",
	sec.VulnStateTriaged:           "Triaged (material)",
	sec.VulnStateNotified:          "Notified",
	sec.VulnStateSSCNotified:       "SSC notified",
	sec.VulnStateInRemediation:     "In remediation",
	sec.VulnStateRectified:         "Rectified",
	sec.VulnStateMitigated:         "Mitigated",
	sec.VulnStateClosed:            "Closed",
	sec.VulnStateClosedNotMaterial: "Closed: not material",
}

var planStateLabels = map[sec.PlanState]string{
	sec.PlanStateDraft:     "Draft",
	sec.PlanStateSubmitted: "Submitted to the SSC",
	sec.PlanStateNoted:     "NOTED by the SSC",
	sec.PlanStateAgreed:    "AGREED by the SSC",
	sec.PlanStateRevised:   "Revised",
	sec.PlanStateOverdue:   "Overdue",
	sec.PlanStateCompleted: "Completed",
}

var planEventLabels = map[sec.PlanEvent]string{
	sec.PlanEventSubmit:   "Submit to the SSC",
	sec.PlanEventNote:     "NOTE the plan",
	sec.PlanEventAgree:    "AGREE the timetable",
	sec.PlanEventRevise:   "Revise",
	sec.PlanEventComplete: "Mark complete",
}

// timelineText says what a timeline entry records.
func timelineText(e vuln.Event) string {
	switch e.Kind {
	case "reported":
		return "Reported"
	case "transition":
		return vulnStateLabels[e.From] + " → " + vulnStateLabels[e.To]
	case "updated":
		return "Changed"
	case "notified":
		return "Told"
	case "reminded":
		return "Reminded"
	case "seen":
		return "Opened for the first time"
	case "acknowledged":
		return "Acknowledged"
	case "plan":
		return "Rectification plan: " + strings.ReplaceAll(e.Event, "_", " ")
	case "fanout":
		return "Recipients recomputed (" + e.Event + ")"
	}
	return e.Kind
}

func init() {
	funcs["vstate"] = func(v any) string {
		st := sec.VulnState(strings.TrimSpace(toString(v)))
		if l, ok := vulnStateLabels[st]; ok {
			return l
		}
		return string(st)
	}
	funcs["vplanstate"] = func(st sec.PlanState) string {
		if l, ok := planStateLabels[st]; ok {
			return l
		}
		return string(st)
	}
	funcs["vplanevent"] = func(e sec.PlanEvent) string {
		if l, ok := planEventLabels[e]; ok {
			return l
		}
		return string(e)
	}
	funcs["vevent"] = timelineText
	funcs["deref"] = func(b *bool) bool { return b != nil && *b }
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case sec.VulnState:
		return string(x)
	}
	return ""
}
