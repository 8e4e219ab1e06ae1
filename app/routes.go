package app

import (
	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/static"
	"github.com/left4me/left4me/store"
)

// routes is the one route table of the panel. Every route names who may
// use it: public, h.auth(role) for pages and actions, h.authFragment(role)
// for the fragments HTMX polls, a.role(role) for the JSON API (whose
// token a.authenticate checks first). The authorization matrix test fails
// for a route it does not list.
func routes(f *fiber.App, h *handlers) {
	const op, admin = store.RoleOperator, store.RoleAdmin
	f.Use(h.countRequests)
	f.Use(securityHeaders)
	f.Use(h.limitBody)

	// Public, without a session.
	static.Register(f)
	f.Get("/healthz", h.healthz)

	// The JSON API: a bearer token, never a cookie, and so no CSRF token.
	// Registered before h.session and h.csrf, which never run for it.
	a := newAPI(h)
	// Prometheus: loopback clients, or an API token of any role.
	f.Get("/metrics", a.metricsAccess, h.serveMetrics)
	v1 := f.Group("/api/v1", a.authenticate)
	v1.Get("/servers", a.role(op), a.apiServers)
	v1.Post("/servers", a.role(admin), a.apiServerCreate)
	v1.Get("/servers/:name", a.role(op), a.apiServer)
	v1.Delete("/servers/:name", a.role(admin), a.apiServerDelete)
	v1.Patch("/servers/:name", a.role(admin), a.apiServerUpdate)
	v1.Post("/servers/:name/start", a.role(op), a.apiServerStart)
	v1.Post("/servers/:name/stop", a.role(op), a.apiServerStop)
	v1.Post("/servers/:name/restart", a.role(op), a.apiServerRestart)
	v1.Get("/servers/:name/history", a.role(op), a.apiServerHistory)
	v1.Get("/servers/:name/log", a.role(op), a.apiServerLog)
	v1.Get("/servers/:name/live", a.role(op), a.apiServerLive)
	v1.Get("/servers/:name/samples", a.role(op), a.apiServerSamples)
	v1.Get("/servers/:name/layers", a.role(op), a.apiServerLayers)
	v1.Post("/servers/:name/layers/reset", a.role(admin), a.apiServerLayerReset)
	v1.Get("/jobs", a.role(op), a.apiJobs)
	v1.Get("/jobs/:id", a.role(op), a.apiJob)
	v1.Post("/jobs/:id/cancel", a.role(op), a.apiJobCancel)
	v1.Post("/jobs/:id/answer", a.role(admin), a.apiJobAnswer)
	// The game over RCON: console, players, bans.
	v1.Post("/servers/:name/rcon", a.role(op), a.apiServerRCON)
	v1.Get("/servers/:name/players", a.role(op), a.apiServerPlayers)
	v1.Post("/servers/:name/players/:userid/kick", a.role(op), a.apiServerPlayerKick)
	v1.Get("/servers/:name/bans", a.role(op), a.apiServerBans)
	v1.Post("/servers/:name/bans", a.role(op), a.apiServerBanCreate)
	v1.Delete("/servers/:name/bans/:steam_id", a.role(op), a.apiServerBanDelete)
	if sim, ok := h.simulatorOf(); ok { // the fake host only
		v1.Post("/servers/:name/simulate", a.role(admin), a.apiServerSimulate(sim))
	}
	v1.Get("/game", a.role(op), a.apiGame)
	v1.Post("/game/install", a.role(admin), a.apiGameInstall)
	v1.Post("/game/update", a.role(admin), a.apiGameUpdate)
	v1.Post("/game/validate", a.role(admin), a.apiGameValidate)
	v1.Post("/game/check", a.role(admin), a.apiGameCheck)
	v1.Get("/blueprints", a.role(admin), a.apiBlueprints)
	v1.Get("/blueprints/:name", a.role(admin), a.apiBlueprint)
	v1.Patch("/blueprints/:name", a.role(admin), a.apiBlueprintUpdate)
	// Add-on sets; the file PUT's and the archive's bodies may be as
	// large as the add-on cap (limitBody, isUpload).
	v1.Get("/addon-sets", a.role(admin), a.apiAddonSets)
	v1.Post("/addon-sets", a.role(admin), a.apiAddonSetCreate)
	v1.Get("/addon-sets/:set", a.role(admin), a.apiAddonSet)
	v1.Delete("/addon-sets/:set", a.role(admin), a.apiAddonSetDelete)
	v1.Get("/addon-sets/:set/files", a.role(admin), a.apiAddonFiles)
	v1.Get("/addon-sets/:set/files/*", a.role(admin), a.apiAddonFile)
	v1.Put("/addon-sets/:set/files/*", a.role(admin), a.apiAddonFilePut)
	v1.Delete("/addon-sets/:set/files/*", a.role(admin), a.apiAddonFileDelete)
	v1.Post("/addon-sets/:set/archive", a.role(admin), a.apiAddonArchive)
	v1.Get("/addon-sets/:set/workshop", a.role(admin), a.apiWorkshop)
	v1.Post("/addon-sets/:set/workshop", a.role(admin), a.apiWorkshopAdd)
	v1.Post("/addon-sets/:set/workshop/refresh", a.role(admin), a.apiWorkshopRefresh)
	f.Use("/api", a.notFound)

	f.Use(keepFormPage, h.session, h.csrf)
	f.Get("/login", h.login)
	f.Post("/login", h.loginSubmit)
	f.Post("/logout", h.logout)
	f.Get("/setup", h.setup)
	f.Post("/setup", h.setupSubmit)

	f.Get("/", h.auth(op), h.dashboard)
	f.Get("/servers/status", h.authFragment(op), h.dashboardStatus)
	f.Get("/servers/new", h.auth(admin), h.serverNew)
	f.Post("/servers", h.auth(admin), h.serverCreate)
	f.Get("/servers/:name", h.auth(op), h.server)
	f.Get("/servers/:name/state", h.authFragment(op), h.serverState)
	f.Get("/servers/:name/log", h.authFragment(op), h.serverLog)
	f.Get("/servers/:name/live", h.authFragment(op), h.serverLive)
	f.Get("/servers/:name/live/chart", h.authFragment(op), h.serverLiveChart)
	f.Get("/servers/:name/resources", h.authFragment(op), h.serverResources)
	f.Get("/servers/:name/log.txt", h.auth(op), h.serverLogText)
	f.Post("/servers/:name/start", h.auth(op), h.serverStart)
	f.Post("/servers/:name/stop", h.auth(op), h.serverStop)
	f.Post("/servers/:name/restart", h.auth(op), h.serverRestart)
	f.Post("/servers/:name/delete", h.auth(admin), h.serverDelete)
	f.Post("/servers/:name/layer/reset", h.auth(admin), h.serverLayerReset)
	if sim, ok := h.simulatorOf(); ok { // the fake host only
		f.Post("/servers/:name/simulate", h.auth(admin), h.serverSimulate(sim))
	}
	f.Get("/servers/:name/edit", h.auth(admin), h.serverEdit)
	f.Post("/servers/:name/edit", h.auth(admin), h.serverUpdate)
	f.Get("/servers/:name/console", h.auth(op), h.serverConsole)
	f.Post("/servers/:name/console", h.auth(op), h.serverConsoleRun)
	f.Get("/servers/:name/players", h.authFragment(op), h.serverPlayers)
	f.Post("/servers/:name/players/:userid/kick", h.auth(op), h.serverPlayerKick)
	f.Get("/servers/:name/bans/new", h.auth(op), h.serverBanNew)
	f.Post("/servers/:name/bans", h.auth(op), h.serverBanCreate)
	f.Post("/servers/:name/unban", h.auth(op), h.serverUnban)
	f.Get("/jobs", h.auth(op), h.jobs)
	f.Get("/jobs/:id", h.auth(op), h.job)
	f.Get("/jobs/:id/output", h.authFragment(op), h.jobOutput)
	f.Post("/jobs/:id/cancel", h.auth(op), h.jobCancel)
	f.Post("/jobs/:id/answer", h.auth(admin), h.jobAnswer)

	f.Get("/game", h.auth(admin), h.game)
	f.Post("/game/install", h.auth(admin), h.gameInstall)
	f.Post("/game/update", h.auth(admin), h.gameUpdate)
	f.Post("/game/validate", h.auth(admin), h.gameValidate)
	f.Post("/game/check", h.auth(admin), h.gameCheck)

	f.Get("/account", h.auth(op), h.account)
	f.Post("/account/password", h.auth(op), h.accountPassword)
	f.Post("/account/tokens", h.auth(op), h.accountTokenCreate)
	f.Post("/account/tokens/:id/revoke", h.auth(op), h.accountTokenRevoke)

	f.Get("/blueprints", h.auth(admin), h.blueprints)
	f.Get("/blueprints/new", h.auth(admin), h.blueprintNew)
	f.Post("/blueprints", h.auth(admin), h.blueprintSave)
	f.Get("/blueprints/:id", h.auth(admin), h.blueprintEdit)
	f.Post("/blueprints/:id", h.auth(admin), h.blueprintSave)
	f.Post("/blueprints/:id/delete", h.auth(admin), h.blueprintDelete)
	f.Post("/blueprints/:id/restart", h.auth(admin), h.blueprintRestart)

	// Add-on sets; the upload's body may be as large as the add-on cap
	// (limitBody, isUpload).
	f.Get("/addon-sets", h.auth(admin), h.addonSets)
	f.Post("/addon-sets", h.auth(admin), h.addonSetCreate)
	f.Get("/addon-sets/:set", h.auth(admin), h.addonSet)
	f.Post("/addon-sets/:set/delete", h.auth(admin), h.addonSetDelete)
	f.Post("/addon-sets/:set/upload", h.auth(admin), h.addonUpload)
	f.Post("/addon-sets/:set/new-file", h.auth(admin), h.addonNewFile)
	f.Post("/addon-sets/:set/delete-file", h.auth(admin), h.addonFileDelete)
	f.Get("/addon-sets/:set/files/*", h.auth(admin), h.addonFile)
	f.Post("/addon-sets/:set/files/*", h.auth(admin), h.addonFileSave)
	f.Get("/addon-sets/:set/download/*", h.auth(admin), h.addonFileDownload)
	f.Post("/addon-sets/:set/workshop", h.auth(admin), h.addonWorkshop)
	f.Post("/addon-sets/:set/workshop/refresh", h.auth(admin), h.addonWorkshopRefresh)

	f.Get("/users", h.auth(admin), h.users)
	f.Post("/users", h.auth(admin), h.userCreate)
	f.Post("/users/:id/role", h.auth(admin), h.userRole)
	f.Post("/users/:id/disable", h.auth(admin), h.userDisable)
	f.Post("/users/:id/enable", h.auth(admin), h.userEnable)
	f.Post("/users/:id/password", h.auth(admin), h.userPassword)
	f.Post("/users/:id/delete", h.auth(admin), h.userDelete)
}
