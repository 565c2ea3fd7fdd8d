// Package bot is the core of yishi: the domain model of a community's
// deliberation (议事协商), its rules and the interfaces the rest of the
// program plugs into. It has no dependencies on storage or chat platforms;
// those live in storage/ and adapters/.
package bot
