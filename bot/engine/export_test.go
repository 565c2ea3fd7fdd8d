package engine

// SetFailApply makes the engine fail the application of the events for
// which fn returns an error (tests of an action failing part-way).
func SetFailApply(e *Engine, fn func(Recorded) error) { e.failApply = fn }
