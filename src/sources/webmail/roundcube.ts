// Roundcube's userlogins log (config `log_logins = true`): one line per login, good or failed
// (failed ones since Roundcube 1.4), written by rcmail::log_login() through rcube::write_log():
//
//   file driver:   [07-Dec-2026 23:01:02 +0000]: <1a2b3c4d> Successful login for alice@example.org (ID: 1) from 192.0.2.7 in session 1a2b3c4d5e6f7a8b
//                  [07-Dec-2026 23:01:09 +0000]: <9f8e7d6c> Failed login for bob@example.org from 192.0.2.8 in session 9f8e7d6c5b4a3f2e (error: 0)
//   stdout driver: userlogins: <1a2b3c4d> Successful login for ...
//   syslog driver: the message alone (`<sess> Successful login ...`), framed by syslog (the
//                  source's framer strips that frame first)
//
// The `<sess>` prefix is there when Roundcube has a session (log_session_id, 8 by default).
// The address may carry the proxy headers Roundcube appends ("192.0.2.7 (X-Forwarded-For:
// 10.0.0.1)"). The date is log_date_format's default, 'd-M-Y H:i:s O'; another format leaves
// the line's time unknown (the reader then uses the time it read it).

/** One login the log shows. */
export interface LoginEvent {
  ok: boolean;
  user: string;
  /** the client's address as Roundcube wrote it */
  from: string;
  /** ms since the epoch, when the line carries a date in the default format */
  time?: number;
  /** Roundcube's error code of a failed login (rcmail's ERROR_* constants) */
  error?: number;
}

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

/** "07-Dec-2026 23:01:02 +0000" (PHP 'd-M-Y H:i:s O') to ms; undefined for anything else. */
export function roundcubeDate(text: string): number | undefined {
  const m = /^(\d{2})-([A-Z][a-z]{2})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(text);
  if (!m || MONTHS[m[2]!] === undefined) return undefined;
  const utc = Date.UTC(Number(m[3]), MONTHS[m[2]!]!, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  const offset = (Number(m[8]) * 60 + Number(m[9])) * 60000;
  return m[7] === '+' ? utc - offset : utc + offset;
}

const GOOD = /^Successful login for (.+) \(ID: \d+\) from (.+?) in session \S*$/;
const FAILED = /^Failed login for (.*) from (.+?) in session \S* \(error: (-?\d+)\)$/;

/** The message of a line (after the file's date, or the stdout driver's "userlogins:"), as a login. */
export function parseMessage(message: string, time?: number): LoginEvent | undefined {
  // the session prefix: "<1a2b3c4d> "
  const text = message.startsWith('<') ? message.slice(message.indexOf('> ') + 2) : message;
  let m = GOOD.exec(text);
  if (m) return { ok: true, user: m[1]!, from: m[2]!, time };
  m = FAILED.exec(text);
  if (m) return { ok: false, user: m[1]!, from: m[2]!, time, error: Number(m[3]) };
  return undefined;
}

/**
 * A line of the userlogins file (file or stdout driver) as a login; undefined for anything
 * else. A date in another format than Roundcube's default is no date (time undefined).
 */
export function parseLoginLine(line: string): LoginEvent | undefined {
  if (line.startsWith('[')) {
    const end = line.indexOf(']: ');
    if (end < 0) return undefined;
    return parseMessage(line.slice(end + 3), roundcubeDate(line.slice(1, end)));
  }
  if (line.startsWith('userlogins: ')) return parseMessage(line.slice('userlogins: '.length));
  return parseMessage(line);
}
