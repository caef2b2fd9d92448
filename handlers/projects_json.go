package handlers

import (
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/14build/14build/store"
)

// The project list's JSON written by hand, straight from the store's values: encoding/json's
// reflection over 50 projects × 10 units × 3 members (its struct walk, time.Time's
// MarshalJSON and the escaping of every string) was a quarter of GET /api/projects' CPU,
// profiled, and building projectJSON/unitOut values first allocated 150 KB a page. The
// appenders write exactly what encoding/json writes for toProjectJSON's and toUnitJSON's
// values (the envelope's keys sorted as a map's, HTML-escaped strings, the trailing newline
// of an Encoder); TestProjectsPageJSON holds them to it, and fails when one of those types
// gains a field.

// projectsPage is the list's envelope: {"page","perPage","projects","total"}.
type projectsPage struct {
	Projects []store.ProjectDetail
	Page     int
	PerPage  int
	Total    int
}

// jsonBufs are reused response buffers: a page is about 270 KB, and growing a fresh one
// each time cost a tenth of the encoding.
var jsonBufs = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// writeProjectsPage answers 200 with the page, as c.JSON would (?pretty keeps c.JSON's
// indented output).
func writeProjectsPage(c echo.Context, pg projectsPage) error {
	if _, pretty := c.QueryParams()["pretty"]; pretty {
		return c.JSON(http.StatusOK, map[string]any{"projects": projectsJSON(pg.Projects), "page": pg.Page, "perPage": pg.PerPage, "total": pg.Total})
	}
	bp := jsonBufs.Get().(*[]byte)
	b := appendProjectsPage((*bp)[:0], pg)
	err := c.JSONBlob(http.StatusOK, b)
	if cap(b) <= 1<<20 { // an outsized page is not kept
		*bp = b[:0]
		jsonBufs.Put(bp)
	}
	return err
}

// projectsJSON is the list as encoding/json encodes it (what the appenders must equal).
func projectsJSON(ps []store.ProjectDetail) []projectJSON {
	if ps == nil {
		return nil
	}
	out := make([]projectJSON, len(ps))
	for i, p := range ps {
		out[i] = toProjectJSON(p.Project, p.Team)
		out[i].Units = toUnitsJSON(p.Units)
	}
	return out
}

func appendProjectsPage(b []byte, pg projectsPage) []byte {
	b = append(b, `{"page":`...)
	b = strconv.AppendInt(b, int64(pg.Page), 10)
	b = append(b, `,"perPage":`...)
	b = strconv.AppendInt(b, int64(pg.PerPage), 10)
	b = append(b, `,"projects":`...)
	if pg.Projects == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range pg.Projects {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendProject(b, &pg.Projects[i])
		}
		b = append(b, ']')
	}
	b = append(b, `,"total":`...)
	b = strconv.AppendInt(b, int64(pg.Total), 10)
	return append(b, "}\n"...)
}

// appendProject writes toProjectJSON(p.Project, p.Team) with Units toUnitsJSON(p.Units).
func appendProject(b []byte, p *store.ProjectDetail) []byte {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, p.ID)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, p.Name)
	b = append(b, `,"code":`...)
	b = appendJSONString(b, p.Code)
	b = append(b, `,"address":`...)
	b = appendJSONString(b, p.Address)
	b = append(b, `,"status":`...)
	b = appendJSONString(b, string(p.Status))
	b = append(b, `,"budget":{"amount":`...)
	b = strconv.AppendInt(b, p.BudgetAmount, 10)
	b = append(b, `,"currency":`...)
	b = appendJSONString(b, p.Currency)
	b = append(b, `},"timeZone":`...)
	b = appendJSONString(b, p.TimeZone)
	b = append(b, `,"ownerId":`...)
	b = appendJSONString(b, p.OwnerID)
	b = append(b, `,"owner":{"id":`...)
	b = appendJSONString(b, p.OwnerID)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, p.OwnerName)
	b = append(b, `,"email":`...)
	b = appendJSONString(b, p.OwnerEmail)
	b = append(b, `,"entity":`...)
	b = appendJSONString(b, p.OwnerEntity)
	b = append(b, `},"teamMembers":[`...) // toProjectJSON makes the team's slice: never null
	for i := range p.Team {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendMember(b, &p.Team[i])
	}
	b = append(b, `],"units":[`...) // toUnitsJSON makes the slice: never null
	for i := range p.Units {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendUnit(b, &p.Units[i])
	}
	b = append(b, ']')
	b = append(b, `,"unitCount":`...)
	b = strconv.AppendInt(b, int64(p.UnitCount), 10)
	b = append(b, `,"createdAt":`...)
	b = appendJSONTime(b, p.CreatedAt)
	b = append(b, `,"updatedAt":`...)
	b = appendJSONTime(b, p.UpdatedAt)
	return append(b, '}')
}

// appendMember writes toProjectJSON's memberJSON of m.
func appendMember(b []byte, m *store.Member) []byte {
	b = append(b, `{"userId":`...)
	b = appendJSONString(b, m.ID)
	b = append(b, `,"role":`...)
	b = appendJSONString(b, string(m.TeamRole))
	b = append(b, `,"joinedAt":`...)
	b = appendJSONTime(b, m.JoinedAt)
	b = append(b, `,"user":`...)
	b = appendUser(b, &m.User)
	return append(b, '}')
}

// appendUser writes toUserJSON(u).
func appendUser(b []byte, u *store.User) []byte {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, u.ID)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, u.Name)
	b = append(b, `,"email":`...)
	b = appendJSONString(b, u.Email)
	b = append(b, `,"role":`...)
	b = appendJSONString(b, string(u.Role))
	b = append(b, `,"roleLabel":`...)
	b = appendJSONString(b, u.Role.Label())
	b = append(b, `,"entity":{"id":`...)
	b = strconv.AppendInt(b, u.EntityID, 10)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, u.EntityName)
	b = append(b, `},"category":`...)
	if !u.CategoryID.Valid {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"id":`...)
		b = strconv.AppendInt(b, u.CategoryID.Int64, 10)
		b = append(b, `,"name":`...)
		b = appendJSONString(b, u.CategoryName.String)
		b = append(b, '}')
	}
	b = append(b, `,"active":`...)
	b = strconv.AppendBool(b, u.Active)
	b = append(b, `,"createdAt":`...)
	b = appendJSONTime(b, u.CreatedAt)
	return append(b, '}')
}

// appendUnit writes toUnitJSON(u).
func appendUnit(b []byte, u *store.Unit) []byte {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, u.ID)
	b = append(b, `,"projectId":`...)
	b = appendJSONString(b, u.ProjectID)
	b = append(b, `,"unitNumber":`...)
	b = appendJSONString(b, u.UnitNumber)
	b = append(b, `,"unitType":`...)
	b = appendJSONString(b, u.UnitType)
	b = append(b, `,"totalFloorArea":`...)
	b = appendJSONFloat(b, areaJSON(u.TotalArea))
	b = append(b, `,"numberOfFloors":`...)
	b = strconv.AppendInt(b, int64(u.NumberOfFloors), 10)
	b = append(b, `,"numberOfRooms":`...)
	b = strconv.AppendInt(b, int64(u.NumberOfRooms), 10)
	b = append(b, `,"numberOfBathrooms":`...)
	b = strconv.AppendInt(b, int64(u.NumberOfBathrooms), 10)
	b = append(b, `,"createdByAI":`...)
	b = strconv.AppendBool(b, u.CreatedByAI)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, u.Version, 10)
	b = append(b, `,"floors":[`...) // toUnitJSON makes the slice: never null
	for i, f := range u.Floors {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"floorNumber":`...)
		b = strconv.AppendInt(b, int64(f.FloorNumber), 10)
		b = append(b, `,"floorArea":`...)
		b = appendJSONFloat(b, areaJSON(f.FloorArea))
		b = append(b, '}')
	}
	b = append(b, ']')
	b = append(b, `,"createdAt":`...)
	b = appendJSONTime(b, u.CreatedAt)
	b = append(b, `,"updatedAt":`...)
	b = appendJSONTime(b, u.UpdatedAt)
	return append(b, '}')
}

// appendJSONString writes s as encoding/json does. Plain text (printable ASCII without
// quote, backslash or the HTML characters encoding/json escapes) is copied; anything else
// goes through encoding/json itself, so no escaping rule is written twice.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendJSONTime writes t.UTC() as time.Time's MarshalJSON does (RFC 3339 with
// nanoseconds): the JSON values hold times in UTC.
// A time it refuses (a year outside 0–9999) falls back to it and writes null, which
// encoding/json would turn into an error; the database holds no such time.
func appendJSONTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		q, err := t.MarshalJSON()
		if err != nil {
			return append(b, "null"...)
		}
		return append(b, q...)
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendJSONFloat writes f as encoding/json writes a float64 (shortest form; exponent
// only below 1e-6 or from 1e21, without a leading zero in it).
func appendJSONFloat(b []byte, f float64) []byte {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return append(b, "null"...) // encoding/json refuses these; areas are finite
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
