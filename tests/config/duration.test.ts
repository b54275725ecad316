// Durations: Go's time.ParseDuration spelling and plain seconds; everything else is refused with a reason.
import { describe, expect, test } from "bun:test";
import { DurationSyntaxError, durationSeconds, parseDuration } from "../../lib/config/index.ts";

describe("parseDuration", () => {
  const accepted: [string, number][] = [
    ["5m", 300_000],
    ["1h30m", 5_400_000],
    ["90s", 90_000],
    ["250ms", 250],
    ["90", 90_000],
    ["0", 0],
    ["1.5h", 5_400_000],
    ["1h0m0s", 3_600_000],
    ["5m0s", 300_000],
    ["1500us", 2],
    ["2000000ns", 2],
    [" 30s ", 30_000],
  ];
  for (const [text, ms] of accepted)
    test(`"${text}" is ${ms} ms`, () => expect(parseDuration(text)).toBe(ms));

  const refused: [string, string][] = [
    ["", "empty"],
    ["-5s", "negative"],
    ["soon", "not a duration"],
    ["5 m", "not a duration"],
    ["5d", "unit"],
    ["1h30", "not a duration"],
    ["s", "not a duration"],
    ["1e3s", "not a duration"],
  ];
  for (const [text, reason] of refused)
    test(`"${text}" is refused (${reason})`, () => {
      expect(() => parseDuration(text)).toThrow(DurationSyntaxError);
      expect(() => parseDuration(text)).toThrow(reason);
    });

  test("durationSeconds rounds up so a TTL never becomes 0", () => {
    expect(durationSeconds(250)).toBe(1);
    expect(durationSeconds(60_000)).toBe(60);
    expect(durationSeconds(60_001)).toBe(61);
  });
});
