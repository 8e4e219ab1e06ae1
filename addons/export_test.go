package addons

// NoSync makes m skip every fsync, for the fuzz test's speed.
func NoSync(m *Manager) { m.noSync = true }
