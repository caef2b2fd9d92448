package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/14build/14build/soq"
)

// The hostile route walker: every route of the route table (new routes join by themselves),
// as every role, with hostile values in each path parameter, the query, and form and JSON
// bodies. No answer may be a 5xx, and a refused request (4xx) must write nothing.

// walkLong is the length of the walk's too-long text: twice the longest text any field
// accepts (an item's description, soq.MaxDescription), so every length check meets it. It
// was 100,000 characters, no more hostile, and under the race detector copying those
// values (a form with every field set to one is megabytes) was most of the walk's time.
const walkLong = 2 * soq.MaxDescription

// Path values: NUL, invalid UTF-8, walkLong characters, huge and negative numbers, non-ids.
var walkPathValues = []string{
	"\x00", "\xff\xfe", strings.Repeat("a", walkLong), "9223372036854775808", "-1", "0",
	"not-a-uuid", "00000000-0000-0000-0000-000000000000", "' OR '1'='1", "%00", "1e309",
	"00000000-0000-0000-0000-00000000000G", "{00000000-0000-0000-0000-000000000000}",
}

// Query and form values add the numbers a page parser meets.
var walkTextValues = []string{
	"\x00", "\xff\xfe", strings.Repeat("a", walkLong), "9223372036854775807", "-9223372036854775808",
	"9223372036854775808", "-1", "0", "not-a-uuid", "/\t/evil.test", "1e309", "NaN", "//evil.test",
	"\u202e\u200b\ufeff", "<script>alert(1)</script>", " ", "", "' OR '1'='1", "%00",
	"00000000-0000-0000-0000-000000000000",
}

// JSON values of every type: strings as above, numbers past every limit, wrong types,
// nested arrays and objects with hostile members, lists of non-ids.
var walkJSONValues = []string{
	`"\u0000"`, "\"\xff\xfe\"", `"` + strings.Repeat("x", walkLong) + `"`, `9223372036854775807`,
	`9223372036854775808`, `-9223372036854775809`, `1e308`, `-1`, `0.0000001`, `1.5`, `null`,
	`true`, `[]`, `{}`, `["not-a-uuid"]`, `["00000000-0000-0000-0000-000000000000", "\u0000"]`,
	`[[[[["\u0000"]]]]]`, `{"a":{"b":["\u0000"]}}`, `"not-a-uuid"`, `"-1"`, `"9223372036854775808"`,
	`"1e309"`, `[9223372036854775808]`, `[{"unitNumber":"\u0000"}]`,
	`["00000000-0000-0000-0000-00000000000G"]`, `["zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz", -1]`,
}

var walkQueryKeys = []string{"q", "page", "perPage", "status", "next", "sort", "projectId", "offset",
	"trade", "section", "type", "role", "sheet", "part", "action", "signedout", "limit", "channel"}

// Every field name a form or JSON body of 14Build takes (json tags and FormValue names).
var walkFields = []string{"active", "address", "amount", "budget", "category", "code", "count",
	"currency", "description", "email", "entity", "floorArea", "floorNumber", "floors", "id",
	"itemType", "items", "name", "numberOfBathrooms", "numberOfFloors", "numberOfRooms", "ownerId",
	"password", "position", "projectId", "quantity", "rate", "reference", "role", "sectionId",
	"sections", "status", "timeZone", "title", "totalFloorArea", "unit", "unitIds", "unitNumber",
	"unitType", "units", "userId", "version", "action", "current", "dir", "mode", "next", "sheet",
	"value", "currentPassword", "newPassword", "token", "categoryId", "after", "before", "mapping",
	"floors[0].floorNumber", "floors[0].floorArea", "floors[1].floorNumber", "floors[1].floorArea"}

// walkTemplates are valid bodies for the routes that take nested JSON: each leaf in turn is
// replaced by a hostile value, so the handler's own validation (not the decoder) meets it.
func walkTemplates(ids map[string]string) map[string]string {
	unit := `{"unitNumber":"W-1","unitType":"Townhouse","totalFloorArea":100,"numberOfFloors":1,"numberOfRooms":3,"numberOfBathrooms":2,"floors":[{"floorNumber":1,"floorArea":100}]}`
	item := `{"reference":"Z1","description":"Walk","unit":"m2","quantity":2,"rate":150,"itemType":"measured","unitIds":["` + ids["unitId"] + `"]}`
	soq := `{"projectId":"` + ids["id"] + `","title":"Walk SOQ","currency":"usd","sections":[{"code":"W","title":"Walk","items":[` + item + `]}]}`
	project := `{"name":"Walk","code":"WALK","address":"1 Road","status":"planning","budget":{"amount":100,"currency":"usd"},"timeZone":"UTC"}`
	user := `{"name":"Walker","email":"walker@example.com","password":"long enough pw","role":"inhouse","entity":"Co","category":""}`
	return map[string]string{
		"POST /api/projects":                             project,
		"PUT /api/projects/:id":                          project,
		"POST /api/users":                                user,
		"PUT /api/users/:uid":                            strings.Replace(user, `"password":"long enough pw",`, "", 1),
		"POST /api/auth/register":                        `{"name":"W","email":"w@example.com","password":"long enough pw","role":"owner","entity":"Co"}`,
		"POST /api/auth/login":                           `{"email":"o@example.com","password":"wrong password"}`,
		"POST /api/projects/:id/team":                    `{"email":"new@example.com"}`,
		"POST /api/projects/:id/units":                   `{"units":[` + unit + `]}`,
		"PUT /api/projects/:id/units/:unitId":            unit,
		"POST /api/projects/:id/units/:unitId/duplicate": `{"count":1}`,
		"POST /api/soq":                                  soq,
		"PUT /api/soq/:soqId":                            soq,
		"POST /api/soq/:soqId/sections":                  `{"code":"X","title":"Walk section"}`,
		"POST /api/soq/:soqId/sections/:sectionId/items": item,
		"PATCH /api/soq/:soqId/items/:itemId":            item,
	}
}

// walkForms are valid page forms; each field in turn gets a hostile value.
var walkForms = map[string]url.Values{
	"POST /projects":                   {"name": {"Walk"}, "code": {"WF"}, "address": {"x"}, "status": {"planning"}, "budget": {"1,000.50"}, "currency": {"usd"}, "timeZone": {"UTC"}},
	"POST /projects/:id":               {"name": {"Walk"}, "code": {"WF2"}, "address": {"x"}, "status": {"planning"}, "budget": {"10"}, "currency": {"usd"}, "timeZone": {"UTC"}},
	"POST /projects/:id/units":         {"unitNumber": {"WU-1"}, "unitType": {"Flat"}, "totalFloorArea": {"50"}, "numberOfFloors": {"1"}, "numberOfRooms": {"2"}, "numberOfBathrooms": {"1"}, "floors[0].floorNumber": {"1"}, "floors[0].floorArea": {"50"}},
	"POST /projects/:id/units/:unitId": {"unitNumber": {"WU-2"}, "unitType": {"Flat"}, "totalFloorArea": {"50"}, "numberOfFloors": {"1"}, "numberOfRooms": {"2"}, "numberOfBathrooms": {"1"}, "floors[0].floorNumber": {"1"}, "floors[0].floorArea": {"50"}},
	"POST /projects/:id/soq/:soqId/items/:itemId/cells/:field": {"value": {"12"}},
	"POST /projects/:id/soq/:soqId/sections/:sectionId/items":  {"reference": {"R"}, "description": {"D"}, "unit": {"m"}, "quantity": {"1"}, "rate": {"1"}, "itemType": {"measured"}},
	"POST /account":          {"name": {"Walker"}, "email": {"o@example.com"}, "entity": {"Co"}},
	"POST /login":            {"email": {"o@example.com"}, "password": {"wrong"}, "next": {"/projects"}},
	"POST /register":         {"name": {"W"}, "email": {"wr@example.com"}, "password": {"long enough pw"}, "role": {"owner"}, "entity": {"Co"}},
	"POST /admin/users":      {"name": {"W"}, "email": {"wa@example.com"}, "password": {"long enough pw"}, "role": {"inhouse"}, "entity": {"Co"}},
	"POST /admin/users/:uid": {"name": {"W"}, "email": {"i@example.com"}, "role": {"inhouse"}, "entity": {"Co"}, "active": {"true"}},
	"POST /account/tokens":   {"name": {"walk"}},
	"POST /account/password": {"current": {"wrong"}, "password": {"long enough pw"}},
}

// destructive routes run last (and the most destructive at the very end) so that the
// fixture's ids stay real while the rest of the table is walked.
func walkRank(r Route) int {
	p := r.Path()
	switch {
	case strings.Contains(p, "logout"):
		return 5
	case r.Method == "DELETE" && (p == "/api/projects/:id" || p == "/api/users/:uid"),
		p == "/projects/:id/delete" && r.Method == "POST", strings.HasSuffix(p, "/deactivate") && r.Method == "POST":
		return 4
	case r.Method == "DELETE", strings.HasSuffix(p, "/delete") && r.Method == "POST",
		strings.HasSuffix(p, "/remove") && r.Method == "POST", strings.HasSuffix(p, "/revoke"):
		return 3
	case strings.Contains(p, "password") || strings.Contains(p, "/status") || strings.Contains(p, "transfer"):
		return 2
	}
	return 0
}

var paramRE = regexp.MustCompile(`:[A-Za-z]+|\*`)

type walkReq struct {
	method, path, ctype string
	body                []byte
	hx                  bool // sent as HTMX sends it: the partial's code path
}

func TestRouteWalkHostile(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("walks every route")
	}
	// Shards of the route table run in parallel, each on its own fixture and database (a
	// route's requests and checksums need one world's ids): walked in one go it took 95 s.
	const shards = 4
	for s := range shards {
		t.Run(fmt.Sprintf("shard%d", s), func(t *testing.T) {
			t.Parallel()
			walkShard(t, s, shards)
		})
	}
}

// walkShard walks the routes whose index in the sorted table is shard modulo shards.
func walkShard(t *testing.T, shard, shards int) {
	f := newFixture(t)
	ids := walkSetup(t, f)
	checksum := walkChecksum(t, f.a)
	last := checksum()
	templates := walkTemplates(ids)

	routes := f.a.h.Routes()
	slices.SortStableFunc(routes, func(a, b Route) int { return walkRank(a) - walkRank(b) })
	roles := map[string]int{"owner": walkFull, "admin": walkSample, "inhouse": walkSample,
		"outsider": walkLight, "otherOwner": walkLight, "bidder": walkLight, "anonymous": walkLight}
	order := []string{"owner", "admin", "inhouse", "outsider", "otherOwner", "bidder", "anonymous"}
	start := time.Now()
	sent, failures := 0, 0
	var inSend, inSum, inGen, inKeep time.Duration
	seen5xx := map[string]bool{}
	for ri, r := range routes {
		if ri%shards != shard {
			continue
		}
		for _, p := range paramRE.FindAllString(r.Path(), -1) {
			if name := strings.TrimPrefix(p, ":"); kindOfParam(r.Path(), name) == paramUnknown {
				t.Errorf("%s %s: path parameter %q is not classified in paramKinds (middleware.go)", r.Method, r.Path(), name)
			}
		}
		for _, role := range order {
			tg := time.Now()
			reqs := walkRequests(r, ids, templates, roles[role], ri)
			inGen += time.Since(tg)
			for _, req := range reqs {
				t0 := time.Now()
				hreq := req.http(t, f.a)
				res := f.clients[role].send(hreq)
				inSend += time.Since(t0)
				sent++
				key := req.method + " " + r.Path()
				if res.Code < 400 && r.Method != "GET" && role != "anonymous" {
					// A write that succeeded may have signed this client in as someone else
					// (registration, login): sign the role back in so it stays itself.
					tk := time.Now()
					walkKeepIdentity(t, f, role, key)
					inKeep += time.Since(tk)
				}
				if res.Code >= 500 {
					failures++
					if k := r.Method + " " + r.Path() + " " + role; !seen5xx[k] {
						seen5xx[k] = true
						t.Errorf("%s %s as %s → %d\n  body sent: %s\n  answer: %s", req.method, short(req.path), role, res.Code, short(string(req.body)), short(res.Body))
					}
				}
				// A GET must never write, whatever it answers: its block is checked once.
				// A write that was refused must have written nothing: checked per request.
				if r.Method == "GET" {
					continue
				}
				t1 := time.Now()
				now := checksum()
				inSum += time.Since(t1)
				if res.Code >= 400 && now != last {
					t.Errorf("%s %s as %s → %d, yet the database changed\n  body sent: %s", req.method, short(req.path), role, res.Code, short(string(req.body)))
				}
				last = now
			}
			if r.Method == "GET" {
				if now := checksum(); now != last {
					t.Errorf("GET %s as %s changed the database", r.Path(), role)
					last = now
				}
			}
		}
	}
	t.Logf("shard %d of %d: %d of %d routes, %d requests, %d 5xx, %s (sending %s, checksums %s, building %s, re-signing in %s)",
		shard+1, shards, (len(routes)-shard+shards-1)/shards, len(routes), sent, failures,
		time.Since(start).Round(time.Millisecond), inSend.Round(time.Millisecond), inSum.Round(time.Millisecond),
		inGen.Round(time.Millisecond), inKeep.Round(time.Millisecond))
}

func short(s string) string {
	s = strings.ToValidUTF8(s, "�")
	if len(s) > 300 {
		return s[:300] + fmt.Sprintf("…(%d bytes)", len(s))
	}
	return s
}

func (w walkReq) http(t *testing.T, a *testApp) *http.Request {
	var body *bytes.Reader
	if w.body != nil {
		body = bytes.NewReader(w.body)
	} else {
		body = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(w.method, a.srv.URL+w.path, body)
	if err != nil {
		t.Fatalf("%s %q: %v", w.method, short(w.path), err)
	}
	if w.ctype != "" {
		req.Header.Set("Content-Type", w.ctype)
	}
	if w.hx {
		req.Header.Set("HX-Request", "true")
	}
	return req
}

// fill builds r's path with every parameter real except hostile (when name != "").
func fill(r Route, ids map[string]string, name, hostile string) string {
	return paramRE.ReplaceAllStringFunc(r.Path(), func(p string) string {
		n := strings.TrimPrefix(p, ":")
		if n == name {
			return url.PathEscape(hostile)
		}
		if n == "*" {
			return "app.css"
		}
		return url.PathEscape(ids[n])
	})
}

// Walk levels: the project's owner meets every variant; the administrator and the in-house
// member (who pass most guards too) a rotating sample; the roles the guards refuse one
// hostile path and one hostile query-and-body request per route.
const (
	walkFull = iota
	walkSample
	walkLight
)

func walkRequests(r Route, ids map[string]string, templates map[string]string, level, seed int) []walkReq {
	var out []walkReq
	pick := func(vals []string, full, sample int) []string {
		n := map[int]int{walkFull: full, walkSample: sample, walkLight: 1}[level]
		s := make([]string, 0, n)
		for i := range min(n, len(vals)) {
			off := seed
			if level == walkFull {
				off = 0
			}
			s = append(s, vals[(off+i)%len(vals)])
		}
		return s
	}
	real := fill(r, ids, "", "")
	withBody := r.Method != "GET" && r.Method != "HEAD"
	api := strings.HasPrefix(r.Path(), "/api/")
	key := r.Method + " " + r.Path()
	// 1. Each path parameter hostile in turn (the light roles: one of them).
	for i, p := range paramRE.FindAllString(r.Path(), -1) {
		if level == walkLight && i > 0 {
			break
		}
		for _, v := range pick(walkPathValues, 6, 1) {
			out = append(out, walkReq{method: r.Method, path: fill(r, ids, strings.TrimPrefix(p, ":"), v)})
		}
	}
	// 2. Hostile query values, every known key at once.
	var queries []string
	for _, v := range pick(walkTextValues, 5, 1) {
		queries = append(queries, walkQuery(v))
	}
	if !withBody {
		for i, q := range queries {
			out = append(out, walkReq{method: r.Method, path: real + q})
			if level == walkFull && i < 2 {
				out = append(out, walkReq{method: r.Method, path: real + q, hx: true})
			}
		}
	}
	if !withBody {
		if level == walkLight {
			return out
		}
		return append(out, walkReq{method: r.Method, path: real})
	}
	allFields := func(v string, jsonBody bool) walkReq {
		if jsonBody {
			return walkReq{method: r.Method, path: real, ctype: "application/json", body: allFieldsBody(v, true)}
		}
		return walkReq{method: r.Method, path: real, ctype: "application/x-www-form-urlencoded", body: allFieldsBody(v, false)}
	}
	if level == walkLight {
		// One request: hostile query and hostile body together.
		w := allFields(walkTextValues[seed%len(walkTextValues)], false)
		if api {
			w = allFields(walkJSONValues[seed%len(walkJSONValues)], true)
		}
		w.path += queries[0]
		return append(out, w)
	}
	if api {
		// 3a. A valid body with each leaf hostile in turn, so the handler's own validation
		// (not the decoder) meets it.
		if tpl, ok := templates[key]; ok {
			for i, b := range mutateJSON(tpl, seed) {
				if level == walkFull || i%4 == seed%4 {
					out = append(out, walkReq{method: r.Method, path: real, ctype: "application/json", body: b})
				}
			}
		}
		// 3b. Routes without a template: each id-like field alone with a malformed id (a body
		// of every field at once stops at the first unknown one).
		if _, ok := templates[key]; !ok && level != walkLight {
			for i, name := range []string{"id", "projectId", "ownerId", "userId", "sectionId", "unitIds", "categoryId", "itemId"} {
				v := walkBadIDs[(i+seed)%len(walkBadIDs)]
				if name == "unitIds" {
					v = "[" + v + "]"
				}
				out = append(out, walkReq{method: r.Method, path: real, ctype: "application/json", body: []byte(`{"` + name + `":` + v + `}`)})
			}
		}
		// 3c. Every known field at once, and bodies of the wrong shape.
		for _, v := range pick(walkJSONValues, 2, 1) {
			out = append(out, allFields(v, true))
		}
		if level == walkFull {
			out = append(out,
				walkReq{method: r.Method, path: real, ctype: "application/json", body: []byte(strings.Repeat("[", 5000) + strings.Repeat("]", 5000))},
				walkReq{method: r.Method, path: real, ctype: "application/json", body: []byte("{\"name\":\"\xff\"}")},
				walkReq{method: r.Method, path: real + queries[0], ctype: "application/json", body: []byte(`{}`)})
		}
		return out
	}
	// 4. Page forms: a valid form with each field hostile in turn, then every field hostile.
	if form, ok := walkForms[key]; ok {
		fields := make([]string, 0, len(form))
		for k := range form {
			fields = append(fields, k)
		}
		slices.Sort(fields)
		for i, field := range fields {
			if level != walkFull && i%4 != seed%4 {
				continue
			}
			vals := url.Values{}
			for k, vs := range form {
				vals[k] = vs
			}
			vals.Set(field, walkTextValues[(i+seed)%len(walkTextValues)])
			out = append(out, walkReq{method: r.Method, path: real, ctype: "application/x-www-form-urlencoded", body: []byte(vals.Encode())})
		}
	}
	for i, v := range pick(walkTextValues, 3, 1) {
		w := allFields(v, false)
		out = append(out, w)
		if level == walkFull && i < 2 {
			w.hx = true
			out = append(out, w)
		}
	}
	if level == walkFull {
		out = append(out, walkReq{method: r.Method, path: real + queries[0], ctype: "application/x-www-form-urlencoded", body: []byte("next=%2F%09%2Fevil.test")})
		// 5. Multipart: hostile text fields beside a file (what the upload form sends).
		for _, v := range []string{"\x00", strings.Repeat("z", walkLong)} {
			var b bytes.Buffer
			mw := multipart.NewWriter(&b)
			for _, k := range []string{"mode", "sheet", "name", "next"} {
				_ = mw.WriteField(k, v)
			}
			fw, _ := mw.CreateFormFile("file", "walk.csv")
			_, _ = fw.Write([]byte("reference,description\n" + v + ",x\n"))
			_ = mw.Close()
			out = append(out, walkReq{method: r.Method, path: real, ctype: mw.FormDataContentType(), body: b.Bytes()})
		}
	}
	return out
}

// The shards build requests at once: the caches are shared under walkCacheMu.
var (
	walkCacheMu    sync.Mutex
	allFieldsCache = map[string][]byte{}
	queryCache     = map[string]string{}
)

// walkQuery is "?k=v" for every known query key (built once per value).
func walkQuery(v string) string {
	walkCacheMu.Lock()
	defer walkCacheMu.Unlock()
	if q, ok := queryCache[v]; ok {
		return q
	}
	q := url.Values{}
	for _, k := range walkQueryKeys {
		q.Set(k, v)
	}
	queryCache[v] = "?" + q.Encode()
	return queryCache[v]
}

// allFieldsBody is a body with every known field set to v (built once per value: the walkLong
// values make them hundreds of kilobytes).
func allFieldsBody(v string, jsonBody bool) []byte {
	key := fmt.Sprint(jsonBody, v)
	walkCacheMu.Lock()
	defer walkCacheMu.Unlock()
	if b, ok := allFieldsCache[key]; ok {
		return b
	}
	var b []byte
	if jsonBody {
		var sb strings.Builder
		sb.WriteString("{")
		for i, name := range walkFields {
			if i > 0 {
				sb.WriteString(",")
			}
			fmt.Fprintf(&sb, "%q:%s", name, v)
		}
		sb.WriteString("}")
		b = []byte(sb.String())
	} else {
		vals := url.Values{}
		for _, k := range walkFields {
			vals.Set(k, v)
		}
		b = []byte(vals.Encode())
	}
	allFieldsCache[key] = b
	return b
}

// walkBadIDs replace an id in a template: what a uuid column cannot take.
var walkBadIDs = []string{`"00000000-0000-0000-0000-00000000000G"`, `"not-a-uuid"`, `-1`, `"` + strings.Repeat("9", 36) + `"`}

// mutateJSON returns tpl once per leaf (string, number, bool) with that leaf replaced by a
// hostile value (rotating through walkJSONValues).
func mutateJSON(tpl string, seed int) [][]byte {
	var doc any
	if err := json.Unmarshal([]byte(tpl), &doc); err != nil {
		panic(err)
	}
	var paths [][]any
	var idPaths [][]any
	var walk func(v any, path []any)
	walk = func(v any, path []any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				walk(c, append(slices.Clone(path), k))
			}
		case []any:
			for i, c := range x {
				walk(c, append(slices.Clone(path), i))
			}
			paths = append(paths, path) // the list itself, too
		case string:
			if validUUID(x) {
				idPaths = append(idPaths, path)
			}
			paths = append(paths, path)
		default:
			paths = append(paths, path)
		}
	}
	walk(doc, nil)
	var out [][]byte
	values := make([]string, len(paths))
	for i := range paths {
		values[i] = walkJSONValues[(i+seed)%len(walkJSONValues)]
	}
	// Ids get every kind of malformed id.
	for _, p := range idPaths {
		for _, v := range walkBadIDs {
			paths = append(paths, p)
			values = append(values, v)
		}
	}
	for i, p := range paths {
		hv := values[i]
		var fresh any
		_ = json.Unmarshal([]byte(tpl), &fresh)
		// Set the leaf to a placeholder, marshal, and splice the raw hostile JSON in, so
		// invalid UTF-8 and huge numbers survive as they are.
		set(fresh, p, "\x01HOSTILE\x01")
		b, _ := json.Marshal(fresh)
		out = append(out, bytes.Replace(b, []byte(`"\u0001HOSTILE\u0001"`), []byte(hv), 1))
	}
	return out
}

func set(doc any, path []any, v any) {
	if len(path) == 0 {
		return
	}
	cur := doc
	for i, k := range path {
		last := i == len(path)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				c[k.(string)] = v
				return
			}
			cur = c[k.(string)]
		case []any:
			if last {
				c[k.(int)] = v
				return
			}
			cur = c[k.(int)]
		}
	}
}

// walkKeepIdentity signs role's client in again when it no longer is that user.
func walkKeepIdentity(t *testing.T, f *fixture, role, after string) {
	res := f.clients[role].get("/api/me")
	if res.Code == http.StatusOK && strings.Contains(res.Body, f.users[role].ID) {
		return
	}
	c := f.a.client()
	res = c.do("POST", "/api/auth/login", map[string]any{"email": f.users[role].Email, "password": testPassword})
	if res.Code != http.StatusOK {
		t.Logf("after %s, %s cannot sign in again (%d): later requests run signed out", after, role, res.Code)
	}
	f.clients[role] = c
}

// walkSetup gives the fixture one of everything the routes name, and returns the real
// value for each path parameter.
func walkSetup(t *testing.T, f *fixture) map[string]string {
	t.Helper()
	a := f.a
	owner := f.clients["owner"]
	res := owner.do("POST", "/api/projects/"+f.P.ID+"/units", map[string]any{"units": []any{map[string]any{
		"unitNumber": "A-01", "unitType": "Townhouse", "totalFloorArea": 100, "numberOfFloors": 1,
		"numberOfRooms": 3, "numberOfBathrooms": 2, "floors": []any{map[string]any{"floorNumber": 1, "floorArea": 100}}}}})
	if res.Code != http.StatusCreated {
		t.Fatalf("unit: %d %s", res.Code, res.Body)
	}
	res = owner.do("POST", "/api/soq", map[string]any{"projectId": f.P.ID, "title": "Walk", "currency": "usd",
		"sections": []any{map[string]any{"code": "A", "title": "Prelims", "items": []any{
			map[string]any{"reference": "A1", "description": "Set-up", "unit": "item", "quantity": 1, "rate": 1000, "itemType": "measured"}}}}})
	if res.Code != http.StatusCreated {
		t.Fatalf("soq: %d %s", res.Code, res.Body)
	}
	res = owner.form("/account/tokens", url.Values{"name": {"walk"}})
	if res.Code >= 400 {
		t.Fatalf("token: %d", res.Code)
	}
	res = owner.do("POST", "/api/projects/"+f.P.ID+"/team", map[string]any{"email": "nobody-yet@example.com"})
	if res.Code >= 400 {
		t.Fatalf("invite: %d %s", res.Code, res.Body)
	}
	ids := map[string]string{"id": f.P.ID, "userId": f.users["inhouse"].ID, "uid": f.users["inhouse"].ID, "field": "quantity"}
	one := func(name, q string) {
		var v string
		if err := a.st.DB().Get(&v, q); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ids[name] = v
	}
	one("unitId", `SELECT id::text FROM units LIMIT 1`)
	one("soqId", `SELECT id::text FROM soqs LIMIT 1`)
	one("sectionId", `SELECT id::text FROM soq_sections LIMIT 1`)
	one("itemId", `SELECT id::text FROM soq_items LIMIT 1`)
	res = owner.do("POST", "/api/tenders", map[string]any{"projectId": f.P.ID, "soqId": ids["soqId"], "title": "Walk tender", "invitees": []string{"walk-bidder@example.com"},
		"closesAt": time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339)})
	if res.Code != http.StatusCreated {
		t.Fatalf("tender: %d %s", res.Code, res.Body)
	}
	one("tenderId", `SELECT id::text FROM tenders LIMIT 1`)
	// The walk's tender is a draft: no bid or contract yet, so well-formed ids no row has.
	ids["bidId"], ids["contractId"] = "00000000-0000-4000-8000-0000000000b1", "00000000-0000-4000-8000-0000000000c1"
	ids["bidPdf"] = ids["bidId"] + ".pdf" // a priced bid's PDF names the bid "{bidId}.pdf"
	one("tokenId", `SELECT id::text FROM api_tokens LIMIT 1`)
	one("invId", `SELECT id::text FROM invitations LIMIT 1`)
	one("token", `SELECT token FROM invitations LIMIT 1`)
	// An import: upload a small CSV through the page.
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, _ := mw.CreateFormFile("file", "walk.csv")
	_, _ = fw.Write([]byte("reference,description,unit,quantity,rate\nW1,Walk,m,1,2\n"))
	_ = mw.Close()
	req, _ := http.NewRequest("POST", a.srv.URL+"/projects/"+f.P.ID+"/soq/"+ids["soqId"]+"/import/upload", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	owner.send(req)
	ids["importId"] = "00000000-0000-4000-8000-000000000001"
	ids["number"] = "1"                                 // an addendum's number
	ids["qid"] = "00000000-0000-4000-8000-000000000002" // a question: none exists, refusals only
	var imp []string
	_ = a.st.DB().Select(&imp, `SELECT id::text FROM soq_imports LIMIT 1`)
	if len(imp) == 1 {
		ids["importId"] = imp[0]
	}
	// Issue 14: a contract (a second tender, closed with bids and awarded to Civil Two)
	// with two milestones adding up to its sum, the first being funded (a pending escrow).
	bt, bids := closedWithBids(t, f)
	res = owner.do("POST", "/api/tenders/"+bt.id+"/award", map[string]any{"bidId": bids["civil2"]})
	if res.Code != http.StatusOK {
		t.Fatalf("award: %d %s", res.Code, res.Body)
	}
	k := res.JSON(t)["contract"].(map[string]any)
	ids["contractId"] = k["id"].(string)
	sum := int64(amountOf(t, k["sum"]))
	for i, amount := range []int64{sum / 2, sum - sum/2} {
		res = owner.do("POST", "/api/contracts/"+ids["contractId"]+"/milestones", map[string]any{"title": fmt.Sprintf("Stage %d", i+1),
			"amount": map[string]any{"amount": amount, "currency": k["sum"].(map[string]any)["currency"]}})
		if res.Code != http.StatusCreated {
			t.Fatalf("milestone: %d %s", res.Code, res.Body)
		}
		if i == 0 {
			ids["milestoneId"] = res.JSON(t)["id"].(string)
		}
	}
	if res = owner.do("POST", "/api/milestones/"+ids["milestoneId"]+"/fund", nil); res.Code != http.StatusOK {
		t.Fatalf("fund: %d %s", res.Code, res.Body)
	}
	ids["escrowId"] = res.JSON(t)["id"].(string)
	// Issue 16: a mail of the outbox (the tenders' invitations to bid are some).
	var mailID int64
	if err := a.st.DB().Get(&mailID, `SELECT COALESCE(max(id), 0) FROM outbox`); err != nil || mailID == 0 {
		t.Fatalf("no mail in the outbox: %v", err)
	}
	ids["mailId"] = fmt.Sprint(mailID)
	// Issue 15: the walk SOQ's items saved as one work package.
	res = owner.do("POST", "/api/projects/"+f.P.ID+"/work-packages", map[string]any{"soqId": ids["soqId"], "packages": []any{map[string]any{
		"trade": "General Building", "title": "Walk package", "sequence": 1, "durationDays": 1, "itemIds": []string{ids["itemId"]}}}})
	if res.Code != http.StatusCreated {
		t.Fatalf("work package: %d %s", res.Code, res.Body)
	}
	one("packageId", `SELECT id::text FROM work_packages LIMIT 1`)
	return ids
}

// walkChecksum hashes every row of every application table (not River's queue, not the
// sessions a request may touch) so a refused request that wrote anything shows.
func walkChecksum(t *testing.T, a *testApp) func() string {
	var tables []string
	err := a.st.DB().Select(&tables, `SELECT table_name FROM information_schema.tables
WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
  AND table_name NOT LIKE 'river%' AND table_name NOT IN ('goose_db_version', 'sessions')
ORDER BY table_name`)
	if err != nil {
		t.Fatal(err)
	}
	parts := make([]string, len(tables))
	for i, tb := range tables {
		parts[i] = fmt.Sprintf(`(SELECT count(*)::text || md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM %q t)`, tb)
	}
	q := `SELECT md5(concat(` + strings.Join(parts, ", ") + `))`
	return func() string {
		var s string
		if err := a.st.DB().Get(&s, q); err != nil {
			t.Fatal(err)
		}
		return s
	}
}
