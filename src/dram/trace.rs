//! A streaming reader for DRAMsim3-format traces.
//!
//! One request per line: a hexadecimal byte address (with or without `0x`), `READ` or
//! `WRITE` (case-insensitive; `R`/`W` also accepted), and the issue cycle in memory
//! clocks, separated by whitespace. Blank lines and lines starting with `#` are
//! skipped. The reader holds one line at a time, so memory does not grow with the
//! trace.

use super::error::DramError;
use std::io::BufRead;

/// One trace request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceRecord {
    /// Byte address.
    pub addr: u64,
    /// Write (true) or read.
    pub is_write: bool,
    /// Issue cycle (memory clock).
    pub cycle: u64,
    /// 1-based line number in the source (0 for generated traffic).
    pub line: u64,
}

/// Iterator over the records of a trace.
pub struct TraceReader<R: BufRead> {
    input: R,
    buf: Vec<u8>,
    line: u64,
    capacity: Option<u64>,
    done: bool,
}

impl<R: BufRead> TraceReader<R> {
    /// Reads from `input`. With `capacity`, an address at or beyond it is reported as
    /// an error on its line.
    pub fn new(input: R, capacity: Option<u64>) -> Self {
        TraceReader {
            input,
            buf: Vec::with_capacity(64),
            line: 0,
            capacity,
            done: false,
        }
    }
}

/// The error for line `line_no` with content `line`.
fn line_error(line_no: u64, line: &[u8], reason: impl Into<String>) -> DramError {
    let text = String::from_utf8_lossy(line);
    let text = text.trim_end_matches(['\n', '\r']);
    DramError::TraceLine {
        line: line_no,
        content: text.chars().take(200).collect(),
        reason: reason.into(),
    }
}

const WS: u8 = 0xFE;
const BAD: u8 = 0xFF;
const NL: u8 = 0xFD;

/// Byte classes: hexadecimal digit value, [`WS`] for blanks, [`NL`] for a newline,
/// [`BAD`] otherwise.
static CLASS: [u8; 256] = {
    let mut t = [BAD; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t[b' ' as usize] = WS;
    t[b'\t' as usize] = WS;
    t[b'\r' as usize] = WS;
    t[0x0b] = WS;
    t[0x0c] = WS;
    t[b'\n' as usize] = NL;
    t
};

/// One in every byte lane.
const ONES: u64 = 0x0101_0101_0101_0101;
/// The high bit of every byte lane.
const HIGH: u64 = 0x8080_8080_8080_8080;
/// Powers of ten up to the eighth.
const POW10: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// For the byte lanes of `x` (each below 0x80), the high bit of each lane whose byte
/// lies in `lo..=hi` (`lo` at most 0x80). Adding `0x80 - lo` sets a lane's high bit
/// exactly when the byte is at least `lo`, adding `0x7F - hi` exactly when it is above
/// `hi`; no lane carries into the next.
#[inline]
fn lanes_in(x: u64, lo: u8, hi: u8) -> u64 {
    let at_least_lo = x + ONES * u64::from(0x80 - lo);
    let above_hi = x + ONES * u64::from(0x7F - hi);
    at_least_lo & !above_hi & HIGH
}

/// The leading hexadecimal digits of the eight bytes in `w` (the first byte in the
/// lowest lane): how many there are (0 to 8) and their value.
///
/// Each lane's digit value is its low nibble, plus 9 for letters (bit 6 set); the
/// leading digits are shifted to the top lanes, the lanes reversed so that the last
/// digit is in the lowest, and the nibbles packed pairwise.
#[inline]
fn hex8(w: u64) -> (u32, u64) {
    let x = w & !HIGH;
    let ascii = !w & HIGH;
    let digit = lanes_in(x, b'0', b'9');
    let letter = lanes_in(x | (ONES * 0x20), b'a', b'f');
    let n = (!((digit | letter) & ascii) & HIGH).trailing_zeros() / 8;
    if n == 0 {
        return (0, 0);
    }
    let v = (x & (ONES * 0x0F)) + 9 * ((x >> 6) & ONES);
    let v = (v << (8 * (8 - n))).swap_bytes();
    let v = (v | (v >> 4)) & 0x00FF_00FF_00FF_00FF;
    let v = (v | (v >> 8)) & 0x0000_FFFF_0000_FFFF;
    let v = (v | (v >> 16)) & 0x0000_0000_FFFF_FFFF;
    (n, v)
}

/// The leading decimal digits of the eight bytes in `w` (the first byte in the lowest
/// lane): how many there are (0 to 8) and their value.
///
/// The digits are shifted to the top lanes (the lanes below read as leading zeros),
/// then adjacent lanes are combined into two-digit, four-digit and eight-digit values.
#[inline]
fn dec8(w: u64) -> (u32, u64) {
    let digit = lanes_in(w & !HIGH, b'0', b'9') & !w & HIGH;
    let n = (!digit & HIGH).trailing_zeros() / 8;
    if n == 0 {
        return (0, 0);
    }
    // A borrow out of a lane at or after the first non-digit only reaches later lanes,
    // which the shift discards.
    let v = w.wrapping_sub(ONES * u64::from(b'0')) << (8 * (8 - n));
    let v = (v.wrapping_mul(10) + (v >> 8)) & 0x00FF_00FF_00FF_00FF;
    let v = (v.wrapping_mul(100) + (v >> 16)) & 0x0000_FFFF_0000_FFFF;
    let v = (v.wrapping_mul(10_000) + (v >> 32)) & 0xFFFF_FFFF;
    (n, v)
}

/// The outcome of scanning the start of a buffer for one line.
enum Scan {
    /// A complete line: the parse result and the bytes it used (with its newline).
    Line(Result<Option<TraceRecord>, DramError>, usize),
    /// The buffer ends before the line does.
    Partial,
}

/// The common line shape at the start of `buf`, parsed directly: an optional `0x`, at
/// most 16 hexadecimal digits, one space, the operation, one space, at most 19 decimal
/// digits and a newline (`\n` or `\r\n`). Returns the address, the operation, the
/// cycle and the bytes used; `None` for anything else (other spacing, comments,
/// errors, a line not complete in `buf`), which [`scan_line`] then handles.
#[inline]
fn scan_plain_line(buf: &[u8]) -> Option<(u64, bool, u64, usize)> {
    let mut i = 0;
    if buf.len() >= 2 && buf[0] == b'0' && (buf[1] | 0x20) == b'x' {
        i = 2;
    }
    let start = i;
    let mut addr: u64 = 0;
    // Eight bytes at a time while the buffer holds them and another digit follows,
    // then byte by byte.
    while let Some(chunk) = buf[i..].first_chunk::<8>() {
        let (n, v) = hex8(u64::from_le_bytes(*chunk));
        addr = (addr << (4 * n)) | v;
        i += n as usize;
        if n < 8 || i - start > 16 || buf.get(i).is_none_or(|&b| CLASS[b as usize] >= 16) {
            break;
        }
    }
    for &b in &buf[i..] {
        let c = CLASS[b as usize];
        if c >= 16 {
            break;
        }
        addr = (addr << 4) | u64::from(c);
        i += 1;
    }
    if i == start || i - start > 16 || *buf.get(i)? != b' ' {
        return None;
    }
    i += 1;
    let rest = &buf[i..];
    let (is_write, op_len) = if rest.starts_with(b"READ ") {
        (false, 4)
    } else if rest.starts_with(b"WRITE ") {
        (true, 5)
    } else {
        let op_len = rest.iter().position(|&b| b == b' ')?;
        let op = &rest[..op_len];
        if op.eq_ignore_ascii_case(b"READ") || op.eq_ignore_ascii_case(b"R") {
            (false, op_len)
        } else if op.eq_ignore_ascii_case(b"WRITE") || op.eq_ignore_ascii_case(b"W") {
            (true, op_len)
        } else {
            return None;
        }
    };
    i += op_len + 1;
    let start = i;
    let mut cycle: u64 = 0;
    while let Some(chunk) = buf[i..].first_chunk::<8>() {
        let (n, v) = dec8(u64::from_le_bytes(*chunk));
        cycle = cycle.wrapping_mul(POW10[n as usize]).wrapping_add(v);
        i += n as usize;
        if n < 8 || i - start > 19 || !buf.get(i).is_some_and(u8::is_ascii_digit) {
            break;
        }
    }
    for &b in &buf[i..] {
        let c = b.wrapping_sub(b'0');
        if c > 9 {
            break;
        }
        cycle = cycle.wrapping_mul(10).wrapping_add(u64::from(c));
        i += 1;
    }
    if i == start || i - start > 19 {
        return None;
    }
    match buf.get(i)? {
        b'\n' => Some((addr, is_write, cycle, i + 1)),
        b'\r' if *buf.get(i + 1)? == b'\n' => Some((addr, is_write, cycle, i + 2)),
        _ => None,
    }
}

/// The line at the start of `buf` (up to, not including, a newline).
fn line_of(buf: &[u8]) -> &[u8] {
    let end = buf.iter().position(|&b| b == b'\n').unwrap_or(buf.len());
    trim_cr(&buf[..end])
}

/// Scans one line at the start of `buf` in a single pass: the address, the operation,
/// the cycle and the newline. `at_eof` says no more bytes follow `buf`.
#[inline]
fn scan_line(line_no: u64, buf: &[u8], capacity: Option<u64>, at_eof: bool) -> Scan {
    let n = buf.len();
    let fail = |reason: &str| Scan::Line(Err(line_error(line_no, line_of(buf), reason)), n);
    let mut i = 0;
    while i < n && CLASS[buf[i] as usize] == WS {
        i += 1;
    }
    if i == n {
        return if at_eof {
            Scan::Line(Ok(None), n)
        } else {
            Scan::Partial
        };
    }
    if buf[i] == b'\n' || buf[i] == b'#' {
        return match buf[i..].iter().position(|&b| b == b'\n') {
            Some(k) => Scan::Line(Ok(None), i + k + 1),
            None if at_eof => Scan::Line(Ok(None), n),
            None => Scan::Partial,
        };
    }
    // Address.
    if i + 1 < n && buf[i] == b'0' && (buf[i + 1] | 0x20) == b'x' {
        i += 2;
    }
    let start = i;
    let mut addr: u64 = 0;
    while i < n {
        let c = CLASS[buf[i] as usize];
        if c >= 16 {
            break;
        }
        if addr >> 60 != 0 {
            return fail("the address does not fit in 64 bits");
        }
        addr = (addr << 4) | u64::from(c);
        i += 1;
    }
    if i == n && !at_eof {
        return Scan::Partial;
    }
    if i == start || (i < n && CLASS[buf[i] as usize] == BAD) {
        return fail("the address is not a hexadecimal number");
    }
    // Operation.
    while i < n && CLASS[buf[i] as usize] == WS {
        i += 1;
    }
    let start = i;
    while i < n && CLASS[buf[i] as usize] != WS && buf[i] != b'\n' {
        i += 1;
    }
    if i == n && !at_eof {
        return Scan::Partial;
    }
    let op = &buf[start..i];
    let is_write = if op.eq_ignore_ascii_case(b"READ") || op.eq_ignore_ascii_case(b"R") {
        false
    } else if op.eq_ignore_ascii_case(b"WRITE") || op.eq_ignore_ascii_case(b"W") {
        true
    } else if op.is_empty() {
        return fail("missing READ/WRITE");
    } else {
        return fail("the operation must be READ or WRITE");
    };
    // Issue cycle.
    while i < n && CLASS[buf[i] as usize] == WS {
        i += 1;
    }
    let start = i;
    let mut cycle: u64 = 0;
    while i < n {
        let c = buf[i].wrapping_sub(b'0');
        if c > 9 {
            break;
        }
        cycle = match cycle
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(c)))
        {
            Some(v) => v,
            None => return fail("the issue cycle does not fit in 64 bits"),
        };
        i += 1;
    }
    if i == n && !at_eof {
        return Scan::Partial;
    }
    if i == start {
        return if i == n || buf[i] == b'\n' {
            fail("missing issue cycle")
        } else {
            fail("the issue cycle is not a non-negative integer")
        };
    }
    if i < n && CLASS[buf[i] as usize] == BAD {
        return fail("the issue cycle is not a non-negative integer");
    }
    // End of line.
    while i < n && CLASS[buf[i] as usize] == WS {
        i += 1;
    }
    let used = if i == n {
        if !at_eof {
            return Scan::Partial;
        }
        n
    } else if buf[i] == b'\n' {
        i + 1
    } else {
        return fail("unexpected extra field (expected: address READ|WRITE cycle)");
    };
    if let Some(cap) = capacity {
        if addr >= cap {
            return Scan::Line(
                Err(line_error(
                    line_no,
                    line_of(buf),
                    format!("address {addr:#x} is beyond the memory capacity of {cap} bytes"),
                )),
                used,
            );
        }
    }
    Scan::Line(
        Ok(Some(TraceRecord {
            addr,
            is_write,
            cycle,
            line: line_no,
        })),
        used,
    )
}

impl<R: BufRead> Iterator for TraceReader<R> {
    type Item = Result<TraceRecord, DramError>;

    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let avail = match self.input.fill_buf() {
                Ok(a) => a,
                Err(e) => {
                    self.done = true;
                    return Some(Err(DramError::TraceLine {
                        line: self.line + 1,
                        content: String::new(),
                        reason: format!("read error: {e}"),
                    }));
                }
            };
            if self.buf.is_empty() {
                if let Some((addr, is_write, cycle, used)) = scan_plain_line(avail) {
                    if self.capacity.is_none_or(|cap| addr < cap) {
                        self.input.consume(used);
                        self.line += 1;
                        return Some(Ok(TraceRecord {
                            addr,
                            is_write,
                            cycle,
                            line: self.line,
                        }));
                    }
                }
            }
            let parsed = if self.buf.is_empty() && !avail.is_empty() {
                // Common case: the whole line is in the reader's buffer.
                match scan_line(self.line + 1, avail, self.capacity, false) {
                    Scan::Line(r, used) => {
                        self.input.consume(used);
                        self.line += 1;
                        r
                    }
                    Scan::Partial => {
                        let n = avail.len();
                        self.buf.extend_from_slice(avail);
                        self.input.consume(n);
                        continue;
                    }
                }
            } else if avail.is_empty() {
                // End of input: a last line without a newline, if any.
                self.done = true;
                if self.buf.is_empty() {
                    return None;
                }
                self.line += 1;
                let r = match scan_line(self.line, &self.buf, self.capacity, true) {
                    Scan::Line(r, _) => r,
                    Scan::Partial => Ok(None),
                };
                self.buf.clear();
                r
            } else {
                // A line split across reads: gather it, then scan it whole.
                match avail.iter().position(|&b| b == b'\n') {
                    Some(i) => {
                        self.buf.extend_from_slice(&avail[..=i]);
                        self.input.consume(i + 1);
                        self.line += 1;
                        let r = match scan_line(self.line, &self.buf, self.capacity, true) {
                            Scan::Line(r, _) => r,
                            Scan::Partial => Ok(None),
                        };
                        self.buf.clear();
                        r
                    }
                    None => {
                        let n = avail.len();
                        self.buf.extend_from_slice(avail);
                        self.input.consume(n);
                        continue;
                    }
                }
            };
            match parsed {
                Ok(Some(r)) => return Some(Ok(r)),
                Ok(None) => continue,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        None
    }
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_reports_lines() {
        let text = "0x1a2b3c40 READ 120\n\n# c\n1000 write 121\n0xZZ READ 3\n";
        let mut r = TraceReader::new(text.as_bytes(), None);
        assert_eq!(
            r.next().unwrap().unwrap(),
            TraceRecord {
                addr: 0x1a2b3c40,
                is_write: false,
                cycle: 120,
                line: 1
            }
        );
        let w = r.next().unwrap().unwrap();
        assert_eq!((w.addr, w.is_write, w.line), (0x1000, true, 4));
        let e = r.next().unwrap().unwrap_err().to_string();
        assert!(e.contains("line 5") && e.contains("0xZZ READ 3"), "{e}");
        assert!(r.next().is_none());
    }

    /// Lines of every shape parse the same whether the whole line is in the reader's
    /// buffer (the direct path) or arrives in pieces (the general scan).
    #[test]
    fn plain_lines_parse_as_the_general_scan_does() {
        let lines = [
            "0x1a2b3c40 READ 120",
            "0X1A2B3C40 read 0",
            "1a2b3c40 R 7",
            "0x40 W 18446744073709551615",
            "0x40 WRITE 18446744073709551616",
            "0x40 write 99999999999999999999999",
            "0xffffffffffffffff READ 1",
            "0x1ffffffffffffffff READ 1",
            "0x00000000000000000040 READ 1",
            "0x40  READ 1",
            "0x40\tREAD 1",
            "0x40 READ 1 ",
            "0x40 READ 1\r",
            "0x40 READ",
            "0x40 READ ",
            "0x40 READX 1",
            "0x READ 1",
            "0x40 READ 1 2",
            "0x40 READ -1",
            "0x40 READ 1x",
            "0xg0 READ 1",
            "# comment",
            "",
            "   ",
            "0x100000000 READ 3",
            "0x1a2b3c40 READ 12345678",
            "0x1a2b3c4 WRITE 1234567890123456",
            "0x1a2b3c40a READ 123456789",
            "1a2b3c40\tREAD 12345678\t",
        ];
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let cap = Some(0x1_0000_0000);
        for (k, line) in lines.iter().enumerate() {
            let one = format!("{line}\n");
            let direct: Vec<String> = TraceReader::new(one.as_bytes(), cap)
                .map(|r| format!("{r:?}"))
                .collect();
            let pieces = std::io::BufReader::with_capacity(1, one.as_bytes());
            let general: Vec<String> = TraceReader::new(pieces, cap)
                .map(|r| format!("{r:?}"))
                .collect();
            assert_eq!(direct, general, "line {k}: {line:?}");
        }
        // The whole text at once: a record per good line until the first error.
        let first_error = TraceReader::new(text.as_bytes(), cap)
            .find_map(|r| r.err())
            .unwrap()
            .to_string();
        assert!(first_error.contains("line 5"), "{first_error}");
    }

    /// The eight-byte digit scans agree with reading the digits one by one.
    #[test]
    fn eight_byte_digit_scans_match_byte_by_byte() {
        let samples: [&[u8; 8]; 12] = [
            b"0123abcd",
            b"ffFFaAfF",
            b"12 READ ",
            b"9\n000000",
            b"g1234567",
            b"abcdefgh",
            b"00000000",
            b"99999999",
            b"1234567\xff",
            b"\xb0\xb1234567",
            b"7:/@`GFf",
            b"@`/:0912",
        ];
        for s in samples {
            let w = u64::from_le_bytes(*s);
            let hex = s.iter().take_while(|b| b.is_ascii_hexdigit()).count();
            let hex_value = s[..hex]
                .iter()
                .fold(0u64, |v, &b| (v << 4) | u64::from(CLASS[b as usize]));
            assert_eq!(hex8(w), (hex as u32, hex_value), "{s:?}");
            let dec = s.iter().take_while(|b| b.is_ascii_digit()).count();
            let dec_value = s[..dec]
                .iter()
                .fold(0u64, |v, &b| v * 10 + u64::from(b - b'0'));
            assert_eq!(dec8(w), (dec as u32, dec_value), "{s:?}");
        }
    }

    #[test]
    fn capacity_is_checked_per_line() {
        let mut r = TraceReader::new("0x40 READ 0\n0x100 READ 1\n".as_bytes(), Some(0x100));
        assert!(r.next().unwrap().is_ok());
        let e = r.next().unwrap().unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("beyond"), "{e}");
    }
}
