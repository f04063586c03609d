// Package meeting is the SSC's meetings: the agenda with each item's colour
// (its classification, enforced in SQL like every record), the records an
// item is about, its papers, discussion, decisions and actions; the minutes
// in versions; and the public Meeting Headlines generated from the items with
// RED and AMBER content withheld (seeds/003).
//
// It owns the meetings, meeting_attendance, meeting_items,
// meeting_item_links, meeting_papers, meeting_decisions, meeting_actions,
// meeting_pseudonyms and meeting_minutes tables. Other areas' records are
// reached only through the resolvers they register with RegisterLink; the
// directory through package party, people through package account, and RED
// audiences through package audience.
package meeting
