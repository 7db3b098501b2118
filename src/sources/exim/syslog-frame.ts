// The syslog framing around Exim's lines in a syslog file: `Dec  7 22:39:01 mx exim[10233]: `
// (BSD) or `2026-12-07T22:39:01.123456+00:00 mx exim[10233]: ` (RFC 3339). Exim's own
// timestamp follows inside the message (syslog_timestamp), so the frame's time is not needed.

/** The program, pid and message of a syslog line; undefined when it is not one. */
export function splitSyslog(line: string): { program: string; pid: number; message: string } | undefined {
  let i: number;
  if (line.charCodeAt(3) === 32 && line.charCodeAt(0) >= 65 && line.charCodeAt(0) <= 90) i = 16; // `Mmm dd HH:MM:SS `
  else {
    i = line.indexOf(' ');
    if (i < 0 || line.charCodeAt(10) !== 84 /* T */) return undefined;
    i++;
  }
  const hostEnd = line.indexOf(' ', i);
  if (hostEnd < 0) return undefined;
  const colon = line.indexOf(': ', hostEnd + 1);
  if (colon < 0) return undefined;
  const tag = line.slice(hostEnd + 1, colon);
  const open = tag.indexOf('[');
  const program = open < 0 ? tag : tag.slice(0, open);
  const pid = open < 0 ? 0 : Number(tag.slice(open + 1, -1));
  return { program, pid: Number.isInteger(pid) ? pid : 0, message: line.slice(colon + 2) };
}
