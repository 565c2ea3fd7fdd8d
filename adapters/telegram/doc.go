// Package telegram is the Telegram adapter of yishi, on
// github.com/go-telegram/bot. It is a thin translator: updates become
// bot.Incoming, bot.Outgoing becomes sendMessage/editMessageText; it decides
// no permissions and keeps no domain state.
//
// Ordering and exactly-once. The library's own polling loop confirms an
// update's offset to Telegram before the handler has run (and runs handlers
// concurrently), so a crash would lose updates. The adapter therefore polls
// getUpdates itself: each batch is split by chat, chats run in parallel,
// updates of one chat run in order, and only when the batch is done is the
// next offset asked for (which is what confirms the batch to Telegram) and
// the last processed update_id persisted under telegram/offset/<bot id>.
// After a restart polling resumes from there. An update delivered twice
// carries the same Incoming.ID ("tg:<bot id>:<update_id>") and the core
// ignores it. Updates that fail with an internal error are retried; the
// batch is confirmed only up to the update before the first failure.
//
// Group upgraded to a supergroup. Telegram gives the group a new chat id
// (migrate_to_chat_id). The adapter keeps a persisted alias map old → new
// (telegram/alias/<bot id>/<old>) and always reports the ORIGINAL chat id in
// Incoming.Chat, the id the community configuration lists; Send maps it to
// the new id. So topics, roster and group bindings stay attached without the
// core knowing about the migration.
//
// Privacy mode. When getMe says the bot cannot read all group messages,
// the adapter logs a warning and explains in each group it is told about
// (Options.NoticeChats) or first hears from that votes must be a button
// press, a reply to the bot's message or a private message; all three
// reach a bot in privacy mode.
//
// Rate limits. Send waits on golang.org/x/time/rate limiters, burst 1: per
// private chat 1 message/s, per group 20/min, global 30/s. A 429 answer
// pauses the chat for retry_after and returns *bot.RetryAfterError. Texts
// go out as plain text (no parse_mode), so residents' *, _ or < need no
// escaping; texts over 4096 characters are split on line boundaries.
package telegram
