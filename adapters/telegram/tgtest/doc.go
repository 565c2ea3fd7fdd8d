// Package tgtest is the test harness of the Telegram adapter: it starts
// telegram-test-api (a Bot API server emulator, npm) as a child process,
// translates go-telegram/bot's multipart requests into bodies the emulator
// can parse, emulates the Telegram rules the emulator lacks (a bot cannot
// write first to a user who never opened a private chat; privacy mode,
// under which a bot that is not a group administrator receives only
// /commands, replies to it and @mentions; getChatMember and setMyCommands),
// records the answers to button presses, and plays the residents through
// the emulator's client API.
//
// The emulator is located by the YISHI_TG_EMULATOR environment variable
// (the path printed by .ci/install-telegram-emulator.sh). Without it the
// tests that need it skip, except under CI=true, where they fail so that CI
// can never pass without running them.
package tgtest
