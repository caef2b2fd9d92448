// Package static embeds the built front-end assets and serves them under content-hashed
// URLs, so they can be cached forever and still change with every build.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
)

//go:embed dist
var dist embed.FS

type asset struct {
	body  []byte
	ctype string
}

var (
	once   sync.Once
	byName map[string]string // "app.css" -> "/static/app.3f2a9c1b.css"
	byHash map[string]asset  // "app.3f2a9c1b.css" -> asset
)

func load() {
	byName = map[string]string{}
	byHash = map[string]asset{}
	_ = fs.WalkDir(dist, "dist", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := dist.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		name := strings.TrimPrefix(p, "dist/")
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:])[:10] + ext
		byName[name] = "/static/" + hashed
		ct := mime.TypeByExtension(ext)
		if ct == "" {
			ct = "application/octet-stream"
		}
		byHash[hashed] = asset{body: b, ctype: ct}
		return nil
	})
}

// URL returns the content-hashed URL of an asset such as "app.css".
func URL(name string) string {
	once.Do(load)
	if u, ok := byName[name]; ok {
		return u
	}
	return "/static/" + name
}

// Handler serves /static/{hashed name} with year-long immutable caching.
func Handler() http.Handler {
	once.Do(load)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		a, ok := byHash[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", a.ctype)
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write(a.body)
	})
}
