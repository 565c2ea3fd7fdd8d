// Package web is one more surface onto the core: the public board
// (村务公开栏) of each community, the public record of every topic and round,
// the printable record sheet (附件2), open data (CSV and JSON) and, behind a
// one-time login link asked for in private chat (网页登录), the pages of a
// member and of the officers (statistics, reminder schedule, audit check,
// audit export, backup).
//
// The package only reads: every page is built inside one engine read from
// the topics the engine holds, so a page is a consistent snapshot. What is
// public follows the guideline's 公示: topics from 审定 on, their results and
// follow-up items; never member ids, platform identities, phone numbers,
// private-chat content, a running vote's partial count or any choice of a
// secret ballot. Declined topics show only the rule invoked. Pages for
// logged-in people pass bot.Authorize like the chat commands do.
package web
