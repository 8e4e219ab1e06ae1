package app

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// simulator is a host backend that can make host events happen: the fake
// (hostbackend/fake), so that a demo shows drift being noticed.
type simulator interface {
	Crash(name string)
	OOMKill(name string)
	ExternalStop(name string)
	ExternalDisable(name string)
	Reboot()
}

// simulations are the events POST …/simulate knows, by their name in the
// form and the API.
var simulations = map[string]func(s simulator, name string){
	"crash":           simulator.Crash,
	"oom-kill":        simulator.OOMKill,
	"outside-stop":    simulator.ExternalStop,
	"outside-disable": simulator.ExternalDisable,
	"reboot":          func(s simulator, _ string) { s.Reboot() },
}

// simulationNames lists the events for the refusal's sentence.
const simulationNames = `"crash", "oom-kill", "outside-stop", "outside-disable" or "reboot"`

// simulatorOf returns the backend as a simulator when the panel runs on
// the fake host (Options.Simulated); the simulate routes exist only then.
func (h *handlers) simulatorOf() (simulator, bool) {
	s, ok := h.Backend.(simulator)
	return s, ok && h.Simulated
}

// simulate makes event happen to the server called name: ErrNotFound
// for no such server, 422 for an event it does not know. A reboot
// concerns every server of the host.
func (h *handlers) simulate(ctx context.Context, sim simulator, name, event string) error {
	do, ok := simulations[event]
	if !ok {
		return fiber.NewError(fiber.StatusUnprocessableEntity,
			"There is no host event \""+strings.ToValidUTF8(event, "?")+"\" to simulate: ask for "+simulationNames+".")
	}
	s, err := h.DB.GetServerByName(ctx, name)
	if err != nil {
		return err
	}
	do(sim, s.Name)
	return nil
}

// serverSimulate makes the host event in the form's "event" field happen
// to the server (fake backend only; admins) and goes back to its page,
// where the watch has the new state shown within a moment.
func (h *handlers) serverSimulate(sim simulator) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, cancel := requestContext(c)
		defer cancel()
		if err := h.simulate(ctx, sim, c.Params("name"), bodyFormValue(c, "event")); err != nil {
			return err
		}
		return c.Redirect("/servers/"+c.Params("name"), fiber.StatusSeeOther)
	}
}
