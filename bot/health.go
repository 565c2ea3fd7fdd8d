package bot

// Healther is implemented by adapters (and stores) that can say whether
// they are working: nil when connected, otherwise an error whose text
// gives the reason in Chinese and then, after " / ", in English, for the
// operator reading /healthz. Something without it counts as healthy.
type Healther interface {
	Healthy() error
}
