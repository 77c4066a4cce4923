// Reads [{"ics": text, "count": n}, ...] as JSON on stdin and prints, for each calendar, the
// first n occurrence starts of its first VEVENT without RECURRENCE-ID, as ical.js reads them:
// "YYYY-MM-DDTHH:MM:SSZ" for zoned or UTC times, "floating ..." and plain dates otherwise.
import ICAL from "ical.js";

function text(time) {
  if (time.isDate) return time.toString();
  if (time.zone === ICAL.Timezone.localTimezone) return `floating ${time.toString()}`;
  return new Date(time.toUnixTime() * 1000).toISOString().replace(".000Z", "Z");
}

function occurrences(ics, count) {
  // Every case is its own calendar: zones registered by one must not answer for the next.
  ICAL.TimezoneService.reset();
  const calendar = new ICAL.Component(ICAL.parse(ics));
  for (const zone of calendar.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(new ICAL.Timezone(zone));
  }
  const master = calendar
    .getAllSubcomponents("vevent")
    .find((event) => !event.hasProperty("recurrence-id"));
  if (!master) return [];
  const iterator = new ICAL.Event(master).iterator();
  const found = [];
  for (let next = iterator.next(); next && found.length < count; next = iterator.next()) {
    found.push(text(next));
  }
  return found;
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const cases = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const results = cases.map(({ ics, count }) => {
  try {
    return occurrences(ics, count);
  } catch (error) {
    return { error: String(error) };
  }
});
process.stdout.write(JSON.stringify(results));
