package drafting

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"

	"github.com/14build/14build/units"
)

// Service asks an OpenAI-compatible chat-completions API (OpenAI, or a local server such
// as Ollama or vLLM through its base URL) for structured answers. It never trusts them: an
// answer is decoded into the Go type its schema was derived from and checked with the
// rules of hand entry; a malformed, rule-breaking, late, refused or refused-for-load (429)
// answer is a *ServiceError after one retry.
type Service struct {
	client  openai.Client
	model   string
	timeout time.Duration
}

// NewService is the configured service, or nil when cfg names none.
func NewService(cfg Config) *Service {
	if !cfg.Enabled() {
		return nil
	}
	key := cfg.APIKey
	if key == "" {
		key = "unused" // a local server needs none; never fall back to OPENAI_API_KEY from the environment
	}
	opts := []option.RequestOption{option.WithAPIKey(key), option.WithMaxRetries(0)}
	if cfg.BaseURL != "" {
		opts = append(opts, option.WithBaseURL(strings.TrimRight(cfg.BaseURL, "/")+"/"))
	}
	t := cfg.Timeout
	if t <= 0 {
		t = DefaultTimeout
	}
	return &Service{client: openai.NewClient(opts...), model: cfg.Model, timeout: t}
}

// Model is the model asked (shown on pages: which helper proposed).
func (s *Service) Model() string { return s.model }

// attempts is the first try and the one retry.
const attempts = 2

// ask sends the conversation asking for an answer of schema name/schema, and hands the
// answer's content to accept, which decodes and checks it (its error, a *ServiceError,
// says why an answer was refused). One retry for any failure.
func (s *Service) ask(ctx context.Context, name, system, user string, schema map[string]any, accept func(content string) error) error {
	params := openai.ChatCompletionNewParams{
		Model: shared.ChatModel(s.model),
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.SystemMessage(system),
			openai.UserMessage(user),
		},
		Temperature: openai.Float(0),
		ResponseFormat: openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{
			JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: name, Strict: openai.Bool(true), Schema: schema},
		}},
	}
	var last error
	for range attempts {
		last = s.once(ctx, params, accept)
		if last == nil || ctx.Err() != nil {
			break
		}
	}
	return last
}

func (s *Service) once(ctx context.Context, params openai.ChatCompletionNewParams, accept func(string) error) error {
	actx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	resp, err := s.client.Chat.Completions.New(actx, params)
	if err != nil {
		var apiErr *openai.Error
		switch {
		case errors.Is(err, context.DeadlineExceeded) || actx.Err() != nil:
			return &ServiceError{Reason: fmt.Sprintf("did not answer within %s", s.timeout)}
		case errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusTooManyRequests:
			return &ServiceError{Reason: "is busy (it answered 429 Too Many Requests)"}
		case errors.As(err, &apiErr):
			return &ServiceError{Reason: fmt.Sprintf("answered with an error (HTTP %d)", apiErr.StatusCode)}
		}
		return &ServiceError{Reason: "could not be reached"}
	}
	if len(resp.Choices) == 0 {
		return &ServiceError{Reason: "gave no answer"}
	}
	m := resp.Choices[0].Message
	if m.Refusal != "" {
		return &ServiceError{Reason: "refused to answer"}
	}
	if strings.TrimSpace(m.Content) == "" {
		return &ServiceError{Reason: "gave an empty answer"}
	}
	return accept(m.Content)
}

// decodeStrict decodes an answer into v: one JSON value of exactly v's shape.
func decodeStrict(content string, v any) error {
	d := json.NewDecoder(strings.NewReader(content))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return &ServiceError{Reason: "answered with malformed JSON"}
	}
	if d.More() {
		return &ServiceError{Reason: "answered with malformed JSON"}
	}
	return nil
}

const unitsSystem = `You draft the units of a residential construction project for a person to review.
Answer only with JSON of the given schema. Rules every unit must pass:
- unitNumber unique in the project and in the answer, not one of the numbers already taken;
  follow the numbering pattern given (A-01, A-02 …);
- totalFloorArea > 0 in square metres with at most 2 decimals;
- numberOfFloors, numberOfRooms, numberOfBathrooms whole numbers of at least 1;
- floors: exactly one row per floor, floorNumber 1..numberOfFloors, each floorArea > 0 with at
  most 2 decimals, and the floor areas add up to totalFloorArea exactly.`

// DraftUnits asks the service for units from a brief (free text and any structured
// fields as hints), checked against the project's taken unit numbers (lower case).
func (s *Service) DraftUnits(ctx context.Context, b UnitBrief, taken map[string]bool) ([]units.Unit, error) {
	var user bytes.Buffer
	fmt.Fprintf(&user, "Brief: %s\n", b.Brief)
	hint := func(label string, v any, ok bool) {
		if ok {
			fmt.Fprintf(&user, "%s: %v\n", label, v)
		}
	}
	hint("Number of units", b.Count, b.Count > 0)
	hint("Unit type", b.UnitType, b.UnitType != "")
	hint("Floors per unit", b.Floors, b.Floors > 0)
	hint("Floor area per unit (m², all floors)", b.FloorAreaPerUnit, b.FloorAreaPerUnit > 0)
	hint("Total floor area of all units (m²)", b.TotalArea, b.TotalArea > 0)
	hint("Rooms per unit", b.Rooms, b.Rooms > 0)
	hint("Bathrooms per unit", b.Bathrooms, b.Bathrooms > 0)
	fmt.Fprintf(&user, "Numbering pattern, first number: %s\n", b.StartNumber)
	if len(taken) > 0 {
		nums := make([]string, 0, min(len(taken), 500))
		for n := range taken {
			if len(nums) == cap(nums) {
				break
			}
			nums = append(nums, n)
		}
		fmt.Fprintf(&user, "Unit numbers already taken (lower case): %s\n", strings.Join(nums, ", "))
	}
	var out []units.Unit
	err := s.ask(ctx, "units_proposal", unitsSystem, user.String(), SchemaOf(unitsAnswer{}), func(content string) error {
		var a unitsAnswer
		if err := decodeStrict(content, &a); err != nil {
			return err
		}
		valid, errs := CheckUnits(a.Units, taken)
		if errs.Any() {
			return &ServiceError{Reason: "proposed units that break the rules (" + firstOf(errs) + ")"}
		}
		out = valid
		return nil
	})
	return out, err
}

// packageAnswer is one package as the service answers it: items by their references
// (shorter than ids, and what the SOQ shows); no value (computed here).
type packageAnswer struct {
	Trade        string   `json:"trade"`
	Title        string   `json:"title"`
	Sequence     int      `json:"sequence" desc:"1..n, each once, in construction order"`
	DurationDays int      `json:"durationDays"`
	DependsOn    []int    `json:"dependsOn" desc:"sequences of earlier packages that must finish first"`
	ItemRefs     []string `json:"itemRefs" desc:"references of the SOQ items in this package"`
}

type packagesAnswer struct {
	Packages []packageAnswer `json:"packages"`
}

// MaxServiceItems bounds the SOQs sent to the service (the prompt lists every item).
const MaxServiceItems = 2000

const packagesSystem = `You group the items of a construction schedule of quantities into work packages for a
person to review. Answer only with JSON of the given schema. Rules:
- one trade per package; every item reference given appears in exactly one package;
- sequence 1..n, each once, in construction order: preliminaries, demolition, substructure,
  frame, roofing, envelope and windows, services, internal finishes, external works, other;
- dependsOn names only earlier sequences; durationDays from 1 to 365, from the quantities.`

// DraftPackages asks the service to group the SOQ's items into packages, checked with
// CheckPackages (values computed here from the items).
func (s *Service) DraftPackages(ctx context.Context, items []Item) ([]Package, error) {
	if len(items) > MaxServiceItems {
		return nil, &ServiceError{Reason: fmt.Sprintf("is not asked about SOQs of more than %d items", MaxServiceItems)}
	}
	var user bytes.Buffer
	user.WriteString("Items (reference | section | trade | type | unit | quantity | description):\n")
	byRef := make(map[string]string, len(items))
	for _, it := range items {
		byRef[strings.ToLower(it.Reference)] = it.ID
		desc := it.Description
		if r := []rune(desc); len(r) > 100 {
			desc = string(r[:100]) + "…"
		}
		fmt.Fprintf(&user, "%s | %s %s | %s | %s | %s | %s | %s\n", it.Reference, it.SectionCode, it.SectionTitle, it.Trade,
			it.Type, it.Unit, it.Quantity, strings.ReplaceAll(desc, "\n", " "))
	}
	var out []Package
	err := s.ask(ctx, "work_packages", packagesSystem, user.String(), SchemaOf(packagesAnswer{}), func(content string) error {
		var a packagesAnswer
		if err := decodeStrict(content, &a); err != nil {
			return err
		}
		ps := make([]Package, len(a.Packages))
		for i, p := range a.Packages {
			ps[i] = Package{Trade: strings.TrimSpace(p.Trade), Title: strings.TrimSpace(p.Title), Sequence: p.Sequence,
				DurationDays: p.DurationDays, DependsOn: p.DependsOn}
			for _, ref := range p.ItemRefs {
				id, ok := byRef[strings.ToLower(strings.TrimSpace(ref))]
				if !ok {
					id = "unknown:" + ref // CheckPackages refuses it
				}
				ps[i].ItemIDs = append(ps[i].ItemIDs, id)
			}
		}
		if errs := CheckPackages(ps, items); errs.Any() {
			return &ServiceError{Reason: "proposed packages that break the rules (" + firstOf(errs) + ")"}
		}
		out = ps
		return nil
	})
	return out, err
}

// firstOf is one message of errs, the same one each time (the smallest key).
func firstOf(errs map[string]string) string {
	k0 := ""
	for k := range errs {
		if k0 == "" || k < k0 {
			k0 = k
		}
	}
	return errs[k0]
}
