package storage

// UncheckedOptions turns off checksum verification and the free-space
// check, for the benchmark that measures what they cost.
func UncheckedOptions() Options { return Options{noIntegrity: true} }
