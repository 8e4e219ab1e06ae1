package app_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/left4me/left4me/store"
)

func TestWorkshopItemsAreDownloadedIntoASetFromItsPageAndTheAPI(t *testing.T) {
	e := newEnv(t)
	e.addonSet("maps", map[string]string{"cfg/a.cfg": "sv_cheats 0\n"})
	e.startRunner(t)
	web := e.as(store.RoleAdmin)

	_, doc := web.get("/addon-sets/maps")
	if testid(doc, "workshop").Length() != 1 || testid(doc, "workshop-none").Length() != 1 || testid(doc, "workshop-form").Length() != 1 {
		t.Fatal("the set page has no Workshop section with its form")
	}
	resp := web.post("/addon-sets/maps/workshop", url.Values{"items": {"https://steamcommunity.com/sharedfiles/filedetails/?id=123456789\n222"}})
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/jobs/") {
		t.Fatalf("POST the form = %d to %q, want 303 to the job", resp.StatusCode, resp.Header.Get("Location"))
	}
	api, _ := e.apiAs("ann", store.RoleAdmin)
	id := strings.TrimPrefix(resp.Header.Get("Location"), "/jobs/")
	var jid int64
	for _, c := range id {
		jid = jid*10 + int64(c-'0')
	}
	if j := api.follow(t, jid); j.State != "succeeded" || j.Operation != "game-workshop" {
		t.Fatalf("job %+v", j)
	}
	_, doc = web.get("/addon-sets/maps")
	var items []string
	testid(doc, "workshop-item").Each(func(_ int, s *goquery.Selection) { items = append(items, s.AttrOr("data-item", "")) })
	if strings.Join(items, " ") != "222 123456789" || testid(doc, "workshop-refresh").Length() != 1 {
		t.Fatalf("items on the page %q", items)
	}

	var got struct {
		Items []struct {
			ID    string `json:"id"`
			Bytes int64  `json:"bytes"`
		} `json:"items"`
		Job *apiJob `json:"job"`
	}
	api.callJSON("GET", "/api/v1/addon-sets/maps/workshop", nil, 200, &got)
	if len(got.Items) != 2 || got.Items[0].ID != "222" || got.Items[0].Bytes == 0 || got.Job != nil {
		t.Fatalf("GET …/workshop: %+v", got)
	}
	var j apiJob
	api.callJSON("POST", "/api/v1/addon-sets/maps/workshop/refresh", nil, 202, &j)
	if done := api.follow(t, j.ID); done.State != "succeeded" {
		t.Fatalf("refresh %+v", done)
	}
	var files []struct {
		Path string `json:"path"`
	}
	api.callJSON("GET", "/api/v1/addon-sets/maps/files", nil, 200, &files)
	var paths []string
	for _, f := range files {
		paths = append(paths, f.Path)
	}
	if strings.Join(paths, " ") != "addons/workshop/123456789.vpk addons/workshop/222.vpk cfg/a.cfg" {
		t.Fatalf("files %q", paths)
	}

	// Refusals change nothing.
	before := e.counts()
	var eb apiErrorBody
	api.callJSON("POST", "/api/v1/addon-sets/maps/workshop", map[string]any{"items": []string{"12ab"}}, 422, &eb)
	if !strings.Contains(eb.Error, `"12ab" is neither a Workshop item id nor an item's address`) {
		t.Errorf("bad id: %+v", eb)
	}
	api.callJSON("POST", "/api/v1/addon-sets/maps/workshop", map[string]any{"items": []string{}}, 422, &eb)
	api.callJSON("POST", "/api/v1/addon-sets/nosuch/workshop", map[string]any{"items": []string{"1"}}, 404, &eb)
	if code, _ := web.postDoc("/addon-sets/maps/workshop", url.Values{"items": {"../x"}}); code != 422 {
		t.Errorf("web bad id = %d, want 422", code)
	}
	if after := e.counts(); after != before {
		t.Fatalf("a refusal changed something: %s, then %s", before, after)
	}
}
