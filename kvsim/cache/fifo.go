package cache

// FIFO evicts the unpinned block inserted longest ago; hits change nothing.
type FIFO struct {
	pool  *BlockPool
	order slotList // front: newest insertion
}

// NewFIFO returns an empty FIFO policy.
func NewFIFO() *FIFO { return &FIFO{order: newSlotList()} }

// Name is "fifo".
func (p *FIFO) Name() string { return FIFOName }

// Attach binds the policy to the pool it reads; a policy serves one cache.
func (p *FIFO) Attach(pool *BlockPool) error { return attach(&p.pool, pool, p.Name()) }

// Hit does nothing: insertion order alone decides.
func (p *FIFO) Hit(Slot) {}

// Inserted queues s as the newest.
func (p *FIFO) Inserted(s Slot) { p.order.pushFront(s) }

// Removed forgets s.
func (p *FIFO) Removed(s Slot) { p.order.remove(s) }

// Victim is the oldest unpinned insertion.
func (p *FIFO) Victim() (Slot, bool) { return p.order.oldestUnpinned(p.pool) }

// Resized does nothing.
func (p *FIFO) Resized(int) {}
