package app_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/left4me/left4me/addons"
	"github.com/left4me/left4me/app"
	"github.com/left4me/left4me/store"
)

// setState is what a refused change must leave as it was: the sets with
// their revisions and the files of each, with their contents.
func (e *env) setState() string {
	e.t.Helper()
	ctx := context.Background()
	sets, err := e.opts.Addons.Sets(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	var sb strings.Builder
	for _, s := range sets {
		fmt.Fprintf(&sb, "%s rev %d used by %v\n", s.Name, s.Rev, s.UsedBy)
		files, err := e.opts.Addons.Files(ctx, s.Name)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, f := range files {
			fmt.Fprintf(&sb, "  %s %q\n", f.Path, e.fileOf(s.Name, f.Path))
		}
	}
	return sb.String()
}

// fileOf is the content of path in set, or "(none)".
func (e *env) fileOf(set, path string) string {
	e.t.Helper()
	f, err := e.opts.Addons.ReadFile(context.Background(), set, path)
	if err != nil {
		return "(none)"
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

// zipOf is a .zip holding files (name: content), in name order.
func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, n := range names {
		f, err := w.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(files[n]))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// upload posts the set page's upload form: fields in order, then the
// file (name, content) last unless fileFirst.
func (c *client) upload(set string, fields [][2]string, name string, content []byte) *http.Response {
	c.e.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("_csrf", c.csrf)
	for _, f := range fields {
		w.WriteField(f[0], f[1])
	}
	if name != "" {
		fw, err := w.CreateFormFile("file", name)
		if err != nil {
			c.e.t.Fatal(err)
		}
		fw.Write(content)
	}
	w.Close()
	req := httptest.NewRequest("POST", "/addon-sets/"+set+"/upload", &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return c.do(req)
}

func doc(t *testing.T, resp *http.Response) *goquery.Document {
	t.Helper()
	defer resp.Body.Close()
	d, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestAnAdminCreatesAnAddonSetAndFillsItFromTheBrowser(t *testing.T) {
	e := newEnv(t)
	c := e.as(store.RoleAdmin)
	if code, d := c.get("/"); code != 200 || testid(d, "nav-addons").AttrOr("href", "") != "/addon-sets" {
		t.Fatalf("the nav has no Add-ons entry")
	}
	resp := c.post("/addon-sets", url.Values{"name": {"sourcemod"}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/addon-sets/sourcemod" {
		t.Fatalf("create: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, d := c.get("/addon-sets/sourcemod")
	if got := testid(d, "flash").Text(); !strings.Contains(got, "Created add-on set sourcemod") {
		t.Fatalf("flash %q", got)
	}
	if testid(d, "no-addon-files").Length() != 1 {
		t.Fatal("a new set shows files")
	}

	// A SourceMod archive at the set's root, then a campaign into addons/.
	smzip := zipOf(t, map[string]string{
		"addons/sourcemod/plugins/admin.smx": "plugin",
		"cfg/sourcemod/sourcemod.cfg":        "sm_show_activity 13\n",
	})
	if resp := c.upload("sourcemod", nil, "sourcemod-1.11.zip", smzip); resp.StatusCode != 303 {
		t.Fatalf("archive upload: %d %s", resp.StatusCode, testid(doc(t, resp), "upload-error").Text())
	}
	vpk := bytes.Repeat([]byte("v"), 5<<20) // over the 4 MiB of other forms
	if resp := c.upload("sourcemod", [][2]string{{"into", " /addons/ "}}, "campaign.vpk", vpk); resp.StatusCode != 303 {
		t.Fatalf("vpk upload: %d %s", resp.StatusCode, testid(doc(t, resp), "upload-error").Text())
	}
	_, d = c.get("/addon-sets/sourcemod")
	if got := testid(d, "flash").Text(); got != "Uploaded addons/campaign.vpk into sourcemod." {
		t.Fatalf("flash %q", got)
	}
	got := map[string]string{}
	d.Find(`[data-testid="addon-file-row"]`).Each(func(_ int, r *goquery.Selection) {
		got[r.AttrOr("data-path", "")] = r.Find(`[data-testid="addon-file-bytes"]`).Text()
	})
	want := map[string]string{"addons/campaign.vpk": "5.0 MiB", "addons/sourcemod/plugins/admin.smx": "6 bytes", "cfg/sourcemod/sourcemod.cfg": "20 bytes"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	if e.fileOf("sourcemod", "addons/campaign.vpk") != string(vpk) {
		t.Fatal("the vpk arrived changed")
	}

	// A text file opens in an editor and saves; a binary one downloads.
	link := d.Find(`[data-testid="addon-file-row"][data-path="cfg/sourcemod/sourcemod.cfg"] [data-testid="addon-file-link"]`).AttrOr("href", "")
	_, d = c.get(link)
	if got := testid(d, "addon-file-content").Text(); got != "sm_show_activity 13\n" {
		t.Fatalf("editor holds %q", got)
	}
	resp = c.post(link, url.Values{"content": {"sm_show_activity 0\r\nsm_vote_delay 30\r\n"}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != link {
		t.Fatalf("save: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got := e.fileOf("sourcemod", "cfg/sourcemod/sourcemod.cfg"); got != "sm_show_activity 0\nsm_vote_delay 30\n" {
		t.Fatalf("saved %q", got)
	}
	_, d = c.get("/addon-sets/sourcemod/files/addons/campaign.vpk")
	if testid(d, "addon-file-content").Length() != 0 || testid(d, "addon-file-binary").Length() != 1 {
		t.Fatal("a .vpk is offered as text")
	}
	dl := c.do(httptest.NewRequest("GET", testid(d, "addon-file-download").AttrOr("href", ""), nil))
	body, _ := io.ReadAll(dl.Body)
	if dl.StatusCode != 200 || !bytes.Equal(body, vpk) || !strings.Contains(dl.Header.Get("Content-Disposition"), `filename=campaign.vpk`) {
		t.Fatalf("download: %d, %d bytes, %q", dl.StatusCode, len(body), dl.Header.Get("Content-Disposition"))
	}

	// A new text file, then a delete.
	resp = c.post("/addon-sets/sourcemod/new-file", url.Values{"path": {"cfg/hostname.cfg"}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/addon-sets/sourcemod/files/cfg/hostname.cfg" {
		t.Fatalf("new file: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp := c.post("/addon-sets/sourcemod/delete-file", url.Values{"path": {"addons/campaign.vpk"}}); resp.StatusCode != 303 {
		t.Fatalf("delete file: %d", resp.StatusCode)
	}
	if e.fileOf("sourcemod", "addons/campaign.vpk") != "(none)" || e.fileOf("sourcemod", "cfg/hostname.cfg") != "" {
		t.Fatal("the delete or the new file did not happen")
	}
}

func TestBadAddonInputShowsWhyAndChangesNothing(t *testing.T) {
	e := newEnv(t)
	c := e.as(store.RoleAdmin)
	e.addonSet("comp", map[string]string{"cfg/a.cfg": "sv_cheats 0\n"})
	c.get("/addon-sets/comp")
	before := e.setState()

	for _, tt := range []struct {
		name      string
		resp      func() *http.Response
		wantCode  int
		wantError string // in the page's error
	}{
		{"an archive with an entry leaving the set", func() *http.Response {
			return c.upload("comp", nil, "evil.zip", zipOf(t, map[string]string{"cfg/ok.cfg": "x", "../../etc/evil.cfg": "x"}))
		}, 422, "../../etc/evil.cfg"},
		{"an archive that is none", func() *http.Response {
			return c.upload("comp", nil, "broken.zip", []byte("not a zip at all"))
		}, 422, "neither a .zip nor a .tar.gz"},
		{"a directory leaving the set", func() *http.Response {
			return c.upload("comp", [][2]string{{"into", "../x"}}, "a.vpk", []byte("v"))
		}, 422, ".."},
		{"no file", func() *http.Response { return c.upload("comp", nil, "", nil) }, 422, "Choose a file"},
		{"the file before the CSRF token", func() *http.Response {
			var buf bytes.Buffer
			w := multipart.NewWriter(&buf)
			fw, _ := w.CreateFormFile("file", "a.vpk")
			fw.Write([]byte("v"))
			w.WriteField("_csrf", c.csrf)
			w.Close()
			req := httptest.NewRequest("POST", "/addon-sets/comp/upload", &buf)
			req.Header.Set("Content-Type", w.FormDataContentType())
			return c.do(req)
		}, 403, "expired"},
		{"text with a NUL", func() *http.Response {
			return c.post("/addon-sets/comp/files/cfg/a.cfg", url.Values{"content": {"sv_cheats 1\x00"}})
		}, 422, "not plain UTF-8 text"},
		{"text in a file that is no text", func() *http.Response {
			return c.post("/addon-sets/comp/files/maps/x.bsp", url.Values{"content": {"x"}})
		}, 422, "not a text file"},
		{"a new file outside the set", func() *http.Response {
			return c.post("/addon-sets/comp/new-file", url.Values{"path": {"../server.cfg"}})
		}, 422, ".."},
		{"a bad set name", func() *http.Response { return c.post("/addon-sets", url.Values{"name": {"Source Mod"}}) }, 422, "character"},
		{"a taken set name", func() *http.Response { return c.post("/addon-sets", url.Values{"name": {"comp"}}) }, 422, "already exists"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp := tt.resp()
			d := doc(t, resp)
			msg := d.Find(`[data-testid="upload-error"], [data-testid^="error-"], [data-testid="error-message"]`).Text()
			if resp.StatusCode != tt.wantCode || !strings.Contains(msg, tt.wantError) {
				t.Fatalf("%d %q, want %d with %q", resp.StatusCode, msg, tt.wantCode, tt.wantError)
			}
			if after := e.setState(); after != before {
				t.Fatalf("changed:\n%s\nto\n%s", before, after)
			}
		})
	}
}

func TestABlueprintListsItsAddonSetsInOrderWithoutJavaScript(t *testing.T) {
	e := newEnv(t)
	c := e.as(store.RoleAdmin)
	for _, s := range []string{"base", "maps", "comp"} {
		e.addonSet(s, nil)
	}
	c.post("/blueprints", blueprintForm())
	bp, _ := e.db.GetBlueprintByName(context.Background(), "versus")
	page := "/blueprints/" + itoa(bp.ID)
	_, d := c.get(page)
	if testid(d, "blueprint-no-addons").Length() != 1 {
		t.Fatal("a new blueprint lists sets")
	}

	// The form as the browser would send it, from the page shown.
	formOf := func(d *goquery.Document) url.Values {
		f := url.Values{}
		d.Find(`form[data-testid="blueprint-form"] input[type="hidden"], form[data-testid="blueprint-form"] input[name], form[data-testid="blueprint-form"] textarea`).Each(func(_ int, s *goquery.Selection) {
			name := s.AttrOr("name", "")
			if goquery.NodeName(s) == "textarea" {
				f.Add(name, s.Text())
			} else {
				f.Add(name, s.AttrOr("value", ""))
			}
		})
		return f
	}
	press := func(d *goquery.Document, op string, kv ...string) *goquery.Document {
		f := formOf(d)
		f.Set("addon_op", op)
		for i := 0; i < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		code, d2 := c.postDoc(page, f)
		if code != 200 {
			t.Fatalf("%s: %d", op, code)
		}
		return d2
	}
	listed := func(d *goquery.Document) string {
		var names []string
		testid(d, "blueprint-addon").Each(func(_ int, s *goquery.Selection) { names = append(names, s.AttrOr("data-name", "")) })
		return strings.Join(names, ",")
	}
	d = press(d, "add", "addon_add", "maps")
	d = press(d, "add", "addon_add", "base")
	d = press(d, "add", "addon_add", "comp")
	if got := listed(d); got != "maps,base,comp" {
		t.Fatalf("after adding: %q", got)
	}
	d = press(d, "up:1")   // base over maps
	d = press(d, "down:1") // maps under comp
	if got := listed(d); got != "base,comp,maps" {
		t.Fatalf("after moving: %q", got)
	}
	d = press(d, "remove:1")
	if got := listed(d); got != "base,maps" {
		t.Fatalf("after removing: %q", got)
	}
	if testid(d, "form-message").Length() != 1 {
		t.Fatal("no word that the list is not saved yet")
	}
	if sets, _ := e.opts.Addons.BlueprintSets(context.Background(), bp.ID); len(sets) != 0 {
		t.Fatalf("a list button saved %v", sets)
	}
	if resp := c.post(page, formOf(d)); resp.StatusCode != 303 {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	if sets, _ := e.opts.Addons.BlueprintSets(context.Background(), bp.ID); strings.Join(sets, ",") != "base,maps" {
		t.Fatalf("saved %v", sets)
	}
	_, d = c.get(page)
	if got := listed(d); got != "base,maps" {
		t.Fatalf("the page lists %q", got)
	}
	// The set pages name the blueprint, with the restart that gives its
	// servers wanted running the change; a listed set cannot go.
	if resp := c.post("/servers", url.Values{"name": {"vs-1"}, "blueprint": {itoa(bp.ID)}}); resp.StatusCode != 303 {
		t.Fatalf("create server: %d", resp.StatusCode)
	}
	_, d = c.get("/addon-sets/maps")
	if testid(d, "addon-set-blueprint").AttrOr("data-name", "") != "versus" || testid(d, "addon-set-restart").Length() != 0 {
		t.Fatal("the set page does not name its blueprint, or offers a restart of a stopped server")
	}
	c.post("/servers/vs-1/start", nil)
	_, d = c.get("/addon-sets/maps")
	restart := testid(d, "addon-set-restart")
	if restart.Text() != "Restart the 1 server using versus" || restart.Closest("form").AttrOr("action", "") != page+"/restart" {
		t.Fatalf("restart %q to %q", restart.Text(), restart.Closest("form").AttrOr("action", ""))
	}
	if resp := c.post("/addon-sets/maps/delete", nil); resp.StatusCode != 409 {
		t.Fatalf("delete of a listed set: %d", resp.StatusCode)
	}

	// A list naming a set that is gone is refused, and nothing changes.
	_, d = c.get(page)
	blueprints := func() string {
		bps, err := e.db.ListBlueprints(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%+v", bps)
	}
	before := blueprints()
	f := formOf(d)
	f.Add("addon_sets", "nope")
	f.Set("map", "c1m1_hotel")
	code, d2 := c.postDoc(page, f)
	if code != 422 || !strings.Contains(testid(d2, "error-addon_sets").Text(), "nope") {
		t.Fatalf("an unknown set: %d %q", code, d2.Find(".field-error").Text())
	}
	if after := blueprints(); after != before {
		t.Fatalf("a refused list changed\n%s\nto\n%s", before, after)
	}
	if sets, _ := e.opts.Addons.BlueprintSets(context.Background(), bp.ID); strings.Join(sets, ",") != "base,maps" {
		t.Fatalf("a refused list left %v", sets)
	}
}

func TestTheAPIManagesAddonSetsAndBlueprintLists(t *testing.T) {
	e := newEnv(t)
	admin, _ := e.apiAs("ann", store.RoleAdmin)
	op, _ := e.apiAs("otto", store.RoleOperator)
	if code, _ := op.call("GET", "/api/v1/addon-sets", nil); code != 403 {
		t.Fatalf("an operator lists sets: %d", code)
	}
	var set struct {
		Name     string   `json:"name"`
		Revision int      `json:"revision"`
		Files    int      `json:"files"`
		Bytes    int64    `json:"bytes"`
		UsedBy   []string `json:"used_by"`
	}
	admin.callJSON("POST", "/api/v1/addon-sets", map[string]string{"name": "comp"}, 201, &set)
	if set.Name != "comp" || set.Files != 0 || set.UsedBy == nil {
		t.Fatalf("created %+v", set)
	}
	if code, b := admin.call("POST", "/api/v1/addon-sets", map[string]string{"name": "comp"}); code != 409 {
		t.Fatalf("a taken name: %d %s", code, b)
	}
	if code, b := admin.call("POST", "/api/v1/addon-sets", map[string]string{"name": "../x"}); code != 422 {
		t.Fatalf("a bad name: %d %s", code, b)
	}

	// Raw bytes in and out; a body beyond the forms' 4 MiB streams in.
	big := bytes.Repeat([]byte("0123456789abcdef"), 5<<16) // 5 MiB
	resp := admin.send("PUT", "/api/v1/addon-sets/comp/files/addons/big%20map.vpk", big, "application/octet-stream")
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("PUT 5 MiB: %d %s", resp.StatusCode, b)
	}
	admin.callJSON("PUT", "/api/v1/addon-sets/comp/files/cfg/hostname.cfg", `hostname "comp"`, 200, &set)
	if set.Files != 2 || set.Bytes != int64(len(big))+15 {
		t.Fatalf("after two PUTs %+v", set)
	}
	if code, b := admin.call("GET", "/api/v1/addon-sets/comp/files/cfg/hostname.cfg", nil); code != 200 || string(b) != `hostname "comp"` {
		t.Fatalf("GET file: %d %q", code, b)
	}
	var files []struct {
		Path  string `json:"path"`
		Bytes int64  `json:"bytes"`
	}
	admin.callJSON("GET", "/api/v1/addon-sets/comp/files", nil, 200, &files)
	if fmt.Sprint(files) != fmt.Sprintf("[{addons/big map.vpk %d} {cfg/hostname.cfg 15}]", len(big)) {
		t.Fatalf("files %v", files)
	}

	// Archives: into a directory; a refused one names its entry.
	resp = admin.send("POST", "/api/v1/addon-sets/comp/archive?into=addons/sourcemod", zipOf(t, map[string]string{"plugins/a.smx": "a"}), "application/zip")
	if resp.StatusCode != 200 {
		t.Fatalf("archive: %d", resp.StatusCode)
	}
	if e.fileOf("comp", "addons/sourcemod/plugins/a.smx") != "a" {
		t.Fatal("the archive was not unpacked into addons/sourcemod")
	}
	before := e.setState()
	resp = admin.send("POST", "/api/v1/addon-sets/comp/archive", zipOf(t, map[string]string{"cfg/b.cfg": "b", "/etc/passwd": "x"}), "application/zip")
	var refusal struct {
		Error string  `json:"error"`
		Entry *string `json:"entry"`
	}
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &refusal); err != nil || resp.StatusCode != 422 || refusal.Entry == nil || *refusal.Entry != "/etc/passwd" || !strings.Contains(refusal.Error, "/etc/passwd") {
		t.Fatalf("a hostile archive: %d %s", resp.StatusCode, b)
	}
	if e.setState() != before {
		t.Fatal("a refused archive changed the set")
	}

	// Blueprints: the ordered list through PATCH.
	admin.callJSON("POST", "/api/v1/addon-sets", map[string]string{"name": "base"}, 201, nil)
	var bp struct {
		Name      string   `json:"name"`
		AddonSets []string `json:"addon_sets"`
		Servers   []string `json:"servers"`
	}
	admin.callJSON("PATCH", "/api/v1/blueprints/default", map[string]any{"addon_sets": []string{"base", "comp"}}, 200, &bp)
	if strings.Join(bp.AddonSets, ",") != "base,comp" {
		t.Fatalf("patched %+v", bp)
	}
	if code, b := admin.call("PATCH", "/api/v1/blueprints/default", map[string]any{"addon_sets": []string{"comp", "comp"}}); code != 422 || !strings.Contains(string(b), "twice") {
		t.Fatalf("a set twice: %d %s", code, b)
	}
	if code, b := admin.call("PATCH", "/api/v1/blueprints/default", map[string]any{"addon_sets": []string{"gone"}}); code != 422 || !strings.Contains(string(b), `"addon_sets"`) {
		t.Fatalf("an unknown set: %d %s", code, b)
	}
	var bps []struct {
		Name      string   `json:"name"`
		AddonSets []string `json:"addon_sets"`
	}
	admin.callJSON("GET", "/api/v1/blueprints", nil, 200, &bps)
	if fmt.Sprint(bps) != "[{default [base comp]}]" {
		t.Fatalf("blueprints %v", bps)
	}
	if code, _ := admin.call("DELETE", "/api/v1/addon-sets/comp", nil); code != 409 {
		t.Fatalf("delete of a listed set: %d", code)
	}
	admin.callJSON("PATCH", "/api/v1/blueprints/default", map[string]any{"addon_sets": []string{}}, 200, &bp)
	if code, _ := admin.call("DELETE", "/api/v1/addon-sets/comp", nil); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if code, _ := admin.call("GET", "/api/v1/blueprints/nope", nil); code != 404 {
		t.Fatalf("an unknown blueprint: %d", code)
	}
}

func TestBodiesAreCappedByWhatTheyAreFor(t *testing.T) {
	e := newEnv(t, func(o *app.Options) {
		m, err := addons.New(o.DB, addons.Options{Root: t.TempDir(), MaxBytes: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		o.Addons = m
	})
	c := e.as(store.RoleAdmin)
	admin, _ := e.apiAs("ann", store.RoleAdmin)
	e.addonSet("comp", map[string]string{"cfg/a.cfg": "a"})
	c.get("/addon-sets/comp")
	admin.callJSON("GET", "/api/v1/addon-sets", nil, 200, nil) // the token's first use is written
	before := e.rows(t) + e.setState()
	unchanged := func(what string) {
		t.Helper()
		if after := e.rows(t) + e.setState(); after != before {
			t.Fatalf("%s changed\n%s\nto\n%s", what, before, after)
		}
	}

	// A form over 4 MiB, with a length or chunked, is refused unread.
	// (Chunked bodies go over TCP, which app.Test cannot send; each is a
	// little over its limit: a server that closes with more unread
	// resets the connection, and the client loses the answer.)
	form := func(n int) io.Reader {
		return strings.NewReader(url.Values{"name": {strings.Repeat("x", n)}}.Encode())
	}
	for _, chunked := range []bool{false, true} {
		req := httptest.NewRequest("POST", "/blueprints", form(5<<20))
		if chunked {
			req = httptest.NewRequest("POST", "/blueprints", io.MultiReader(form(4<<20+100<<10)))
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-CSRF-Token", c.csrf)
		var resp *http.Response
		if chunked {
			req.AddCookie(&http.Cookie{Name: "left4me_session", Value: c.cookies["left4me_session"]})
			resp = e.overTCP(req)
		} else {
			resp = c.do(req)
		}
		if resp.StatusCode != 413 {
			t.Fatalf("a form over 4 MiB (chunked %v): %d", chunked, resp.StatusCode)
		}
		unchanged("a form over 4 MiB")
	}

	// Uploads: over the cap (1 MiB here) by their length, they are
	// refused unread (413); chunked, when their bytes pass it (the file
	// 422 from the set's cap, the archive 413 while it is kept).
	over := bytes.Repeat([]byte("v"), 3<<20)
	overChunked := func() io.Reader { return io.MultiReader(bytes.NewReader(over[:1<<20+100<<10])) }
	for _, tt := range []struct {
		name, method, path string
		body               io.Reader
		want               int
	}{
		{"a file by its length", "PUT", "/api/v1/addon-sets/comp/files/addons/a.vpk", bytes.NewReader(over), 413},
		{"a chunked file", "PUT", "/api/v1/addon-sets/comp/files/addons/a.vpk", overChunked(), 422},
		{"an archive by its length", "POST", "/api/v1/addon-sets/comp/archive", bytes.NewReader(over), 413},
		{"a chunked archive", "POST", "/api/v1/addon-sets/comp/archive", overChunked(), 413},
	} {
		req := httptest.NewRequest(tt.method, tt.path, tt.body)
		req.Header.Set("Authorization", "Bearer "+admin.token)
		var resp *http.Response
		if req.ContentLength < 0 {
			resp = e.overTCP(req)
		} else {
			resp = admin.send(tt.method, tt.path, over, "application/octet-stream")
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != tt.want || !strings.Contains(string(b), `"error"`) {
			t.Fatalf("%s: %d %s, want %d", tt.name, resp.StatusCode, b, tt.want)
		}
		unchanged(tt.name)
	}
	// A client that waits for "100 Continue" (curl, for a large upload)
	// hears the 413 before it sends any of the body.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.app.Listener(ln) }()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "PUT /api/v1/addon-sets/comp/files/addons/a.vpk HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"+
		"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n", admin.token, len(over))
	line, err := bufio.NewReader(conn).ReadString('\n')
	conn.Close()
	ln.Close()
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 413") {
		t.Fatalf("an upload over the cap waiting for 100 Continue: %q, %v", line, err)
	}
	unchanged("an upload over the cap waiting for 100 Continue")
	if resp := c.upload("comp", nil, "big.vpk", over); resp.StatusCode != 413 {
		t.Fatalf("a browser upload over the cap: %d", resp.StatusCode)
	}
	unchanged("a browser upload over the cap")

	// Under the cap and over the forms' limit: a chunked PUT streams in.
	e2 := newEnv(t)
	admin2, _ := e2.apiAs("ann", store.RoleAdmin)
	e2.addonSet("comp", nil)
	req := httptest.NewRequest("PUT", "/api/v1/addon-sets/comp/files/addons/a.vpk", io.MultiReader(bytes.NewReader(bytes.Repeat([]byte("v"), 6<<20))))
	req.Header.Set("Authorization", "Bearer "+admin2.token)
	resp := e2.overTCP(req)
	if resp.StatusCode != 200 || len(e2.fileOf("comp", "addons/a.vpk")) != 6<<20 {
		t.Fatalf("a chunked 6 MiB PUT: %d", resp.StatusCode)
	}
}

// overTCP sends req to the panel on a loopback listener, as a client on
// the network would: a body of unknown length goes chunked, which
// app.Test cannot send. The answer's body is read whole.
func (e *env) overTCP(req *http.Request) *http.Response {
	e.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	go func() { _ = e.app.Listener(ln) }()
	defer ln.Close()
	u, _ := url.Parse("http://" + ln.Addr().String() + req.URL.RequestURI())
	out, err := http.NewRequest(req.Method, u.String(), req.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	out.Header = req.Header
	out.ContentLength = req.ContentLength
	if out.ContentLength < 0 {
		out.ContentLength = 0
		out.Body = io.NopCloser(req.Body) // not a known kind: chunked
		out.ContentLength = -1
	}
	resp, err := http.DefaultClient.Do(out)
	if err != nil {
		e.t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp
}
