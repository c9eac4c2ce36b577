package bridge

import "strings"

// Canonical event groups. Userpilot's own Heap integration names events
// "Userpilot <Entity> (<action>)" (docs/sdk-facts.md#up-native-heap); the bridge gives each group one
// property shape, whichever road the event came by.
const (
	GroupExperience = "experience"
	GroupChecklist  = "checklist"
	GroupNPS        = "nps"
	GroupForm       = "form"
	GroupSurvey     = "survey"
	GroupOther      = "other"
)

// field maps the first present candidate key of a payload to one canonical property.
type field struct {
	to         string
	candidates []string
	kind       string // "", "score" (a number 0..10)
	key        bool   // part of the occurrence's identity, for exactly-once
}

// groupFields are the canonical properties of each group, in order. Candidates list the names
// Userpilot's payloads may use; their properties are not documented, so several spellings are
// accepted (UNCERTAIN, docs/sdk-facts.md#up-native-heap).
var groupFields = map[string][]field{
	GroupExperience: {
		{to: "experience_id", candidates: []string{"experience_id", "experienceId", "flow_id", "flowId", "content_id", "contentId", "id"}, key: true},
		{to: "experience_token", candidates: []string{"experience_token", "experienceToken", "token"}},
		{to: "step", candidates: []string{"step", "step_number", "stepNumber"}, key: true},
		{to: "total_steps", candidates: []string{"total_steps", "totalSteps"}},
	},
	GroupChecklist: {
		{to: "checklist_id", candidates: []string{"checklist_id", "checklistId", "id"}, key: true},
		{to: "checklist_title", candidates: []string{"checklist_title", "checklistTitle", "checklist_name", "checklistName"}},
		{to: "task_id", candidates: []string{"task_id", "taskId"}, key: true},
		{to: "task_title", candidates: []string{"task_title", "taskTitle", "title"}},
	},
	GroupNPS: {
		{to: "nps_id", candidates: []string{"nps_id", "npsId", "survey_id", "surveyId", "id"}, key: true},
		{to: "score", candidates: []string{"score", "nps_score", "npsScore", "rating", "value"}, kind: "score"},
		{to: "feedback", candidates: []string{"feedback", "text", "comment"}},
	},
	GroupForm: {
		{to: "form_id", candidates: []string{"form_id", "formId", "id"}, key: true},
		{to: "form_title", candidates: []string{"form_title", "formTitle", "title", "name"}},
	},
	GroupSurvey: {
		{to: "survey_id", candidates: []string{"survey_id", "surveyId", "id"}, key: true},
		{to: "survey_title", candidates: []string{"survey_title", "surveyTitle", "title", "name"}},
	},
}

// answerKeys hold a form's or survey's answers; each answer names its question.
var answerKeys = []string{"answers", "responses", "questions"}

var (
	questionIDKeys  = []string{"question_id", "questionId", "id", "key"}
	answerValueKeys = []string{"answer", "value", "response", "text"}
)

// splitUserpilotName splits "Userpilot <Entity> (<action>)" into entity and action. (No regexp:
// it would add hundreds of kilobytes to the module.)
func splitUserpilotName(name string) (entity, action string, ok bool) {
	rest, found := strings.CutPrefix(name, "Userpilot ")
	if !found || !strings.HasSuffix(rest, ")") {
		return "", "", false
	}
	open := strings.LastIndex(rest, " (")
	if open <= 0 {
		return "", "", false
	}
	entity, action = rest[:open], rest[open+2:len(rest)-1]
	if action == "" || strings.ContainsAny(action, "()") {
		return "", "", false
	}
	for _, r := range entity {
		if !(r == ' ' || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z')) {
			return "", "", false
		}
	}
	return entity, action, entity[0] != ' '
}

// classify returns the canonical Heap name and group of an event name Userpilot sends to Heap.
func classify(name string) (string, string) {
	if entity, action, ok := splitUserpilotName(name); ok {
		switch strings.ToLower(entity) {
		case "experience", "flow":
			return "Userpilot Experience (" + action + ")", GroupExperience
		case "checklist":
			return "Userpilot Checklist (" + action + ")", GroupChecklist
		case "nps":
			return "Userpilot NPS (" + action + ")", GroupNPS
		case "form", "form submission":
			return "Userpilot Form (" + action + ")", GroupForm
		case "survey":
			return "Userpilot Survey (" + action + ")", GroupSurvey
		}
		return name, GroupOther
	}
	lower := strings.ToLower(name)
	switch {
	case strings.Contains(lower, "survey"):
		return "Userpilot Survey (submitted)", GroupSurvey
	case strings.Contains(lower, "form"):
		return "Userpilot Form (submitted)", GroupForm
	}
	return name, GroupOther
}

// canonicalProperties fills props with the canonical fields taken from payload, then the
// payload's other fields under their own names. It returns the values that identify the
// occurrence, for exactly-once ("" when the payload carried none of them).
func canonicalProperties(props *PropertySet, fields []field, payload Value) string {
	var used keySet
	var key []string
	answers := false
	for _, f := range fields {
		if f.to == "form_id" || f.to == "survey_id" {
			answers = true
		}
		v, from, ok := firstField(payload, f.candidates, used)
		if !ok {
			if f.key {
				key = append(key, "")
			}
			continue
		}
		used.add(from)
		switch f.kind {
		case "score":
			if score, ok := npsScore(v); ok {
				props.set(f.to, score)
			} else {
				props.drop(f.to, PropInvalidScore)
			}
		default:
			props.Add(f.to, v)
		}
		if f.key {
			key = append(key, scalarText(v))
		}
	}
	if answers {
		for _, k := range answerKeys {
			if v, ok := payload.Field(k); ok && !used.has(k) {
				used.add(k)
				addAnswers(props, v)
				break
			}
		}
	}
	for i, k := range payload.Keys {
		if used.has(k) || i >= len(payload.Items) {
			continue
		}
		if k == UserIDProperty {
			props.drop(k, PropDuplicateKey) // the bridge owns the user id
			continue
		}
		props.Add(k, payload.Items[i])
	}
	id := strings.Join(key, "\x00")
	if strings.Trim(id, "\x00") == "" {
		return ""
	}
	return id
}

// keySet is the few payload keys a group's fields took.
type keySet []string

func (k *keySet) add(key string) { *k = append(*k, key) }

func (k keySet) has(key string) bool {
	for _, x := range k {
		if x == key {
			return true
		}
	}
	return false
}

// firstField returns the first candidate present with a usable value, skipping keys already used.
func firstField(payload Value, candidates []string, used keySet) (Value, string, bool) {
	for _, c := range candidates {
		if used.has(c) {
			continue
		}
		if v, ok := payload.Field(c); ok && v.Kind != KindUndefined && v.Kind != KindNull {
			return v, c, true
		}
	}
	return Value{}, "", false
}

// PropInvalidScore is an NPS score that is not a whole number from 0 to 10.
const PropInvalidScore = "invalid_score"

// npsScore accepts a whole number 0..10, or its decimal text.
func npsScore(v Value) (float64, bool) {
	f := v.Num
	switch v.Kind {
	case KindNumber:
	case KindString:
		s := strings.TrimSpace(v.Str)
		if len(s) == 0 || len(s) > 2 {
			return 0, false
		}
		f = 0
		for _, r := range s {
			if r < '0' || r > '9' {
				return 0, false
			}
			f = f*10 + float64(r-'0')
		}
	default:
		return 0, false
	}
	if f != float64(int(f)) || f < 0 || f > 10 {
		return 0, false
	}
	return f, true
}

// addAnswers records question ids (joined) and each answer under answer.<question id>.
func addAnswers(props *PropertySet, v Value) {
	var ids []Value
	add := func(id string, answer Value) {
		if id == "" {
			props.drop("answer.", PropEmptyKey)
			return
		}
		ids = append(ids, Str(id))
		props.Add("answer."+id, answer)
	}
	switch v.Kind {
	case KindArray:
		for _, item := range v.Items {
			if item.Kind != KindObject {
				props.drop("answers", PropUnsupported)
				continue
			}
			id, _, ok := firstField(item, questionIDKeys, nil)
			answer, _, hasAnswer := firstField(item, answerValueKeys, nil)
			if !ok || !id.IsScalar() {
				props.drop("answers", PropUnsupported)
				continue
			}
			if !hasAnswer {
				answer = Value{Kind: KindNull}
			}
			add(scalarText(id), answer)
		}
	case KindObject:
		for i, k := range v.Keys {
			if i < len(v.Items) && !reservedKeys[k] {
				add(k, v.Items[i])
			} else if reservedKeys[k] {
				props.drop("answer."+k, PropReservedKey)
			}
		}
	default:
		props.Add("answers", v)
		return
	}
	if len(ids) > 0 {
		props.Add("question_ids", Arr(ids...))
	}
}
