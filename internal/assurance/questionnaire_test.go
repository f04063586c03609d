package assurance_test

import (
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/assurance"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/store/storetest"
)

func TestSelfAssessmentQuestionnaire(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			e := newEnv(t, storetest.Open(t, engine))
			a, err := e.svc.Create(e.ctx, e.sys, assurance.Input{Party: "OTHA", Role: "other_user", Type: "SSA", Year: 2026, YearInCycle: 3})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.Questionnaire(e.ctx, e.as["OTHA"], a.ID); !errs.Is(err, errs.Conflict) {
				t.Errorf("before any template: %v", err)
			}
			var sections []assurance.SectionInput
			for _, s := range assurance.DefaultSections {
				sections = append(sections, assurance.SectionInput{Name: s, Questions: []string{"How do you manage " + strings.ToLower(s) + "?"}})
			}
			if _, err := e.svc.CreateTemplate(e.ctx, e.as["OTHA"], assurance.TemplateInput{Title: "x", Sections: sections}); !errs.Is(err, errs.Forbidden) {
				t.Errorf("a party writing the questionnaire: %v", err)
			}
			v1, err := e.svc.CreateTemplate(e.ctx, e.as["SSC"], assurance.TemplateInput{Title: "SSA declaration 2026", Sections: sections})
			if err != nil || v1.Version != 1 || len(v1.Questions) != 5 {
				t.Fatalf("v1 %+v, %v", v1, err)
			}
			q, err := e.svc.Questionnaire(e.ctx, e.as["OTHA"], a.ID)
			if err != nil || q.State != "new" || !q.MayAnswer || q.Version != 1 {
				t.Fatalf("new questionnaire %+v, %v", q, err)
			}
			if _, err := e.svc.Questionnaire(e.ctx, e.as["SUPB"], a.ID); !errs.Is(err, errs.NotFound) {
				t.Errorf("another party reading it: %v", err)
			}
			// A draft with two answers.
			q, err = e.svc.SaveAnswers(e.ctx, e.as["OTHA"], a.ID, assurance.AnswersInput{Version: 1, Answers: map[int64]string{
				v1.Questions[0].ID: "Monthly scans", v1.Questions[1].ID: "BPSS for all staff"}})
			if err != nil || q.State != "draft" || q.Questions[0].Answer != "Monthly scans" {
				t.Fatalf("draft %+v, %v", q, err)
			}
			if _, err := e.svc.SaveAnswers(e.ctx, e.as["UCIO"], a.ID, assurance.AnswersInput{Version: 1, Answers: map[int64]string{v1.Questions[0].ID: "x"}}); !errs.Is(err, errs.Forbidden) {
				t.Errorf("the CIO answering: %v", err)
			}
			// A new version does not move the draft; an answer to one of its
			// questions is refused, and nothing is saved.
			v2, err := e.svc.CreateTemplate(e.ctx, e.as["SSC"], assurance.TemplateInput{Title: "SSA declaration 2027", Sections: sections[:2]})
			if err != nil || v2.Version != 2 {
				t.Fatalf("v2 %+v, %v", v2, err)
			}
			_, err = e.svc.SaveAnswers(e.ctx, e.as["OTHA"], a.ID, assurance.AnswersInput{Version: 1, Answers: map[int64]string{
				v1.Questions[2].ID: "Annual course", v2.Questions[0].ID: "x"}})
			if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "not a question of version 1") {
				t.Errorf("an answer to another version's question: %v", err)
			}
			if _, err := e.svc.SaveAnswers(e.ctx, e.as["OTHA"], a.ID, assurance.AnswersInput{Version: 2, Answers: map[int64]string{v2.Questions[0].ID: "x"}}); !errs.Is(err, errs.Invalid) {
				t.Errorf("saving against version 2: %v", err)
			}
			if q, _ := e.svc.Questionnaire(e.ctx, e.as["OTHA"], a.ID); q.Version != 1 || q.Questions[2].Answer != "" {
				t.Errorf("a refused save changed the draft: %+v", q)
			}
			// Submitting needs every answer.
			answers := map[int64]string{}
			for i, qu := range v1.Questions[:4] {
				answers[qu.ID] = "Answer " + string(rune('A'+i))
			}
			if _, err := e.svc.SaveAnswers(e.ctx, e.as["OTHA"], a.ID, assurance.AnswersInput{Version: 1, Answers: answers, Submit: true}); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "unanswered") {
				t.Errorf("submitting with a question unanswered: %v", err)
			}
			answers[v1.Questions[4].ID] = "We notify the SSC within a day"
			q, err = e.svc.SaveAnswers(e.ctx, e.as["OTHA"], a.ID, assurance.AnswersInput{Version: 1, Answers: answers, Submit: true})
			if err != nil || q.State != "submitted" || q.MayAnswer || q.SubmittedAt == nil {
				t.Fatalf("submitted %+v, %v", q, err)
			}
			if _, err := e.svc.SaveAnswers(e.ctx, e.as["OTHA"], a.ID, assurance.AnswersInput{Version: 1, Answers: answers}); !errs.Is(err, errs.Conflict) {
				t.Errorf("changing submitted answers: %v", err)
			}
			// A third version still leaves the submitted answers alone.
			if _, err := e.svc.CreateTemplate(e.ctx, e.as["SSC"], assurance.TemplateInput{Title: "v3", Sections: sections[:1]}); err != nil {
				t.Fatal(err)
			}
			if q, err := e.svc.Questionnaire(e.ctx, e.as["UCIO"], a.ID); err != nil || q.Version != 1 || len(q.Questions) != 5 || q.Questions[4].Answer != "We notify the SSC within a day" {
				t.Errorf("the CIO reviewing: %+v, %v", q, err)
			}
		})
	}
}
