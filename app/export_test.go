package app

// HoldSlots takes every slot of g, as hashes running for as long as the
// test likes, and returns what gives them back.
func (g *HashGate) HoldSlots() (release func()) {
	for range cap(g.slots) {
		g.slots <- struct{}{}
	}
	return func() {
		for range cap(g.slots) {
			<-g.slots
		}
	}
}
