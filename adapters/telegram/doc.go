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
// Privacy mode. A bot in privacy mode (the @BotFather default) that is not
// an administrator of a group receives there only /commands, replies to its
// own messages, @mentions and button presses: typed check-ins, votes and
// statements never arrive. The adapter reads getMe's
// can_read_all_group_messages and asks getChatMember for its status in each
// group; where it cannot hear everything it says so once in the group and
// in the log, with the fix (make the bot an administrator, or /setprivacy →
// Disable at @BotFather, then remove and re-add the bot), and it refuses to
// open a meeting or move it to its next step there (开始协商, 下一步: the
// meeting's statements go into the minutes) until fixed, re-checking at
// each attempt. CanHearAll
// (bot.Hearing) exposes the check to the core. Every group command has an
// ASCII slash form (/kaishi, /qiandao, /xiayibu, /biaojue, /zancheng, …,
// commands.go), registered with setMyCommands with Chinese descriptions and
// turned into the Chinese command word before the core sees it.
//
// Receipts. A receipt (bot.Outgoing.For: "已记录「赞成」") goes as the answer
// to the pressed button (a notice only the member sees), else as a private
// message, and only into the group when the member never pressed Start,
// with the link t.me/<bot>?start=<community> that fixes it. A press whose
// receipt has not come within Options.ReceiptWait (1.5 s) of its arrival —
// its chat's queue may be long — is answered "已收到，正在处理。" so no
// button is left spinning; its receipt then goes privately.
//
// Voice messages, pictures and files without a caption become, in a group,
// a text such as "发送了一段语音，42秒", so that the minutes note them.
//
// Rate limits. Send waits on golang.org/x/time/rate limiters, burst 1: per
// private chat 1 message/s, per group 20/min, global 30/s. A 429 answer
// pauses the chat for retry_after and returns *bot.RetryAfterError. Texts
// go out as plain text (no parse_mode), so residents' *, _ or < need no
// escaping; texts over 4096 characters are split on line boundaries.
package telegram
